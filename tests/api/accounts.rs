//! Issue 23, accounts: `feedbackd user create` and `user role`, passwords stored as
//! argon2id only, sign-in that answers alike for an unknown address and a wrong password,
//! and roles that hold the scopes keys hold.

use crate::cli::{feedbackd, json};
use crate::helpers::{count, fixture, TestDb};
use diesel::{Connection, PgConnection, RunQueryDsl};
use feedbackd_core::accounts::{self, SignInError};
use feedbackd_domain::{Role, Scope};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `feedbackd user create … --password-stdin --json` with `password` on stdin.
fn create_with_password(db: &TestDb, email: &str, password: &str, extra: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_feedbackd"))
        .args(["user", "create", "--email", email, "--password-stdin", "--json"])
        .args(extra)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_store_argon2id_only_and_sign_in_does_not_tell_who_has_one() {
    let db = TestDb::new();
    let password = "correct horse battery staple";
    let admin =
        json(&create_with_password(&db, "  Ana@Example.com ", password, &["--admin", "--name", "Ana"]));
    assert_eq!((admin["email"].as_str(), admin["is_admin"].as_bool()), (Some("ana@example.com"), Some(true)));
    assert!(admin.get("password").is_none(), "a password given is never printed: {admin}");

    let conn = &mut PgConnection::establish(&db.url).unwrap();
    let stored =
        count(conn, "SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%'");
    assert_eq!(stored, 1, "argon2id with OWASP's parameters");
    assert_eq!(
        count(conn, &format!("SELECT count(*) FROM users WHERE password_hash LIKE '%{password}%'")),
        0
    );

    // One account per address, whatever its case; clear errors for bad input.
    let again = create_with_password(&db, "ANA@example.com", password, &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("ana@example.com already has an account"));
    let short = create_with_password(&db, "bo@example.com", "short", &[]);
    assert!(String::from_utf8_lossy(&short.stderr).contains("password must be 12 to 256 characters"));
    let made_up = json(&feedbackd(Some(&db), &["user", "create", "--email", "bo@example.com", "--json"]));
    let bo_password = made_up["password"].as_str().expect("a made-up password is shown once").to_string();
    assert_eq!(bo_password.len(), 24);

    // Sign-in: right, wrong, unknown, case.
    let services = db.services();
    let signed =
        accounts::sign_in(&services, "ANA@example.com", SecretString::from(password.to_string())).await;
    assert_eq!(signed.unwrap().email, "ana@example.com");
    let sign_in = |email: &'static str, password: &'static str| {
        let services = services.clone();
        async move {
            let started = Instant::now();
            let result = accounts::sign_in(&services, email, SecretString::from(password.to_string())).await;
            (result, started.elapsed())
        }
    };
    let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let (result, took) = sign_in("ana@example.com", "not the password at all").await;
        assert!(matches!(result, Err(SignInError::Refused)));
        wrong.push(took);
        let (result, took) = sign_in("nobody@example.com", "not the password at all").await;
        assert!(matches!(result, Err(SignInError::Refused)));
        assert_eq!(result.unwrap_err().to_string(), "the email or the password is wrong");
        unknown.push(took);
    }
    // Both verify one argon2id hash (the unknown address a dummy one): the medians are
    // alike, where skipping the hash would make the unknown address ~100× faster.
    let (wrong, unknown) = (median(wrong), median(unknown));
    println!("sign-in, median of 7: wrong password {wrong:?}, unknown address {unknown:?}");
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    assert!((0.5..2.0).contains(&ratio), "wrong password {wrong:?} against unknown address {unknown:?}");

    // Roles: the scopes keys hold, given per project.
    let project = fixture(&db.url, &[]).project_id;
    let project_arg = project.to_string();
    let set_role = |email: &str, role: &str| {
        feedbackd(
            Some(&db),
            &["user", "role", "--project", &project_arg, "--email", email, "--role", role, "--json"],
        )
    };
    assert_eq!(json(&set_role("Bo@example.com", "viewer"))["role"], "viewer");
    let bo = accounts::sign_in(&services, "bo@example.com", SecretString::from(bo_password)).await.unwrap();
    let role = accounts::role_in(&services, project, &bo).await.unwrap().unwrap();
    assert_eq!(role, Role::Viewer);
    assert!(role.allows(Scope::ResponsesExport) && !role.allows(Scope::SurveysWrite));
    json(&set_role("bo@example.com", "editor"));
    assert_eq!(accounts::role_in(&services, project, &bo).await.unwrap(), Some(Role::Editor));
    let other = fixture(&db.url, &[]).project_id;
    assert_eq!(accounts::role_in(&services, other, &bo).await.unwrap(), None, "no role in another project");
    let nobody = set_role("eve@example.com", "owner");
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("eve@example.com has no account"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_new_at_each_sign_in_hashed_revocable_and_end_with_the_account() {
    let db = TestDb::new();
    let services = db.services();
    let password = || SecretString::from("a long enough password".to_string());
    let user =
        accounts::create_user(&services, "pm@example.com", "PM", Some(password()), false).await.unwrap();
    let project = fixture(&db.url, &[]).project_id;
    accounts::set_role(&services, project, "pm@example.com", Role::Editor).await.unwrap();

    // Each sign-in starts a session of its own: nothing from before it is reused.
    let signed = accounts::sign_in(&services, "pm@example.com", password()).await.unwrap();
    let laptop = accounts::start_session(&services, &signed, "Firefox on a laptop").await.unwrap();
    let phone = accounts::start_session(&services, &signed, "Safari on a phone").await.unwrap();
    let (laptop_token, phone_token) = (laptop.token.expose_secret(), phone.token.expose_secret());
    assert_ne!(laptop_token, phone_token);
    assert_ne!(laptop.session.id, phone.session.id);
    assert!(laptop_token.starts_with("fbk_ses_") && laptop_token.len() == 8 + 64);
    let conn = &mut PgConnection::establish(&db.url).unwrap();
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) FROM console_sessions WHERE token_hash = decode('{}', 'hex')",
                hex::encode(feedbackd_domain::hash_token(laptop_token))
            )
        ),
        1
    );
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) FROM console_sessions WHERE encode(token_hash, 'escape') LIKE '%{}%'",
                &laptop_token[8..24]
            )
        ),
        0,
        "only the hash is stored"
    );
    let who = |token: String| {
        let services = services.clone();
        async move { accounts::session_user(&services, &token).await.unwrap().map(|(_, u)| u.email) }
    };
    assert_eq!(who(laptop_token.to_string()).await.as_deref(), Some("pm@example.com"));
    assert_eq!(who("fbk_ses_not-a-session".into()).await, None);
    let (head, last) = laptop_token.split_at(laptop_token.len() - 1);
    let tampered = format!("{head}{}", if last == "0" { "1" } else { "0" });
    assert_eq!(who(tampered).await, None);

    // Listed without tokens, and revoked one by one.
    let listed = accounts::sessions(&services, &user).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.user_agent.as_str()).collect::<Vec<_>>(),
        ["Safari on a phone", "Firefox on a laptop"]
    );
    assert_eq!(accounts::end_sessions(&services, &user, Some(phone.session.id)).await.unwrap(), 1);
    assert_eq!(who(phone_token.to_string()).await, None, "a revoked session ends at once");
    assert_eq!(who(laptop_token.to_string()).await.as_deref(), Some("pm@example.com"));

    // An expired session is refused.
    diesel::sql_query("UPDATE console_sessions SET expires_at = now() - interval '1 second'")
        .execute(conn)
        .unwrap();
    assert_eq!(who(laptop_token.to_string()).await, None);

    // A removed member loses the project at once; a disabled account loses everything.
    let fresh = accounts::start_session(&services, &signed, "Firefox").await.unwrap();
    assert_eq!(accounts::role_in(&services, project, &user).await.unwrap(), Some(Role::Editor));
    assert!(accounts::remove_member(&services, project, &user).await.unwrap());
    assert_eq!(accounts::role_in(&services, project, &user).await.unwrap(), None);
    accounts::disable(&services, &user).await.unwrap();
    assert_eq!(who(fresh.token.expose_secret().to_string()).await, None, "sessions end with the account");
    assert!(matches!(
        accounts::sign_in(&services, "pm@example.com", password()).await,
        Err(SignInError::Refused)
    ));
    assert!(accounts::sessions(&services, &user).await.unwrap().is_empty());
}
