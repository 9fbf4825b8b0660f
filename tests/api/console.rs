//! Issue 23, the console over real HTTP: sign-in sets a `HttpOnly`, `SameSite=Lax` cookie
//! with a new session every time (fixation impossible), CSRF is refused without the
//! session's token or from another site, a viewer is refused every write on the server, an
//! editor of project A finds nothing of project B on any route, a removed member is out at
//! once, and an invitation link works once.

use crate::helpers::{spawn_app, TestApp};
use feedbackd_core::{accounts, manage};
use feedbackd_domain::Role;
use feedbackd_http::console::{Needs, PAGES};
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;
use secrecy::SecretString;
use uuid::Uuid;

const PASSWORD: &str = "a long enough password";

/// A browser of one person: their session cookie, sent by hand (no redirects followed).
struct Visitor<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: Option<String>,
}

impl<'a> Visitor<'a> {
    fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Visitor { app, client, cookie: None }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let mut request = self.client.get(format!("{}{path}", self.app.address));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let r = request.send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Posts a form from one of our pages (same-origin, as browsers say).
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(path, fields, "same-origin").await
    }

    async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], site: &str) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header("sec-fetch-site", site)
            .header(ORIGIN, &self.app.address)
            .form(fields);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let r = request.send().await.unwrap();
        if let Some(set) = r.headers().get(SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        r
    }

    async fn sign_in(&mut self, email: &str) -> reqwest::Response {
        self.post("/console/sign-in", &[("email", email), ("password", PASSWORD), ("next", "/console/")])
            .await
    }

    /// The CSRF token of the session, read from a page's form as a browser would.
    async fn csrf(&self) -> String {
        let (status, page) = self.get("/console/account").await;
        assert_eq!(status, 200, "{page}");
        let at = page.find(r#"name="csrf" value=""#).expect("a form with the token") + 19;
        page[at..at + page[at..].find('"').unwrap()].to_string()
    }
}

/// Posts the new-survey form of `path` with `csrf`, as if from `site`.
async fn new_survey(ed: &mut Visitor<'_>, path: &str, csrf: &str, site: &str) -> reqwest::Response {
    let fields = [
        ("key", "churn"),
        ("kind", "nps"),
        ("question", "How likely…?"),
        ("status", "active"),
        ("csrf", csrf),
    ];
    ed.post_from(path, &fields, site).await
}

async fn person(app: &TestApp, email: &str, project: Uuid, role: Option<Role>) {
    let db = app.db.services();
    accounts::create_user(&db, email, "", Some(SecretString::from(PASSWORD)), false).await.unwrap();
    if let Some(role) = role {
        accounts::set_role(&db, project, email, role).await.unwrap();
    }
}

/// A route's path with its parameters filled: this project, the fixture's survey, and
/// made-up ids for the rest.
fn concrete(path: &str, project: Uuid) -> String {
    path.replace("{project}", &project.to_string())
        .replace("{survey}", "nps-main")
        .replace("{action}", "pause")
        .replace("{session}", &Uuid::new_v4().to_string())
        .replace("{key}", &Uuid::new_v4().to_string())
        .replace("{link}", &Uuid::new_v4().to_string())
        .replace("{user}", &Uuid::new_v4().to_string())
        .replace("{id}", &Uuid::new_v4().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_new_at_every_sign_in_and_forms_need_the_sessions_token() {
    let app = spawn_app().await;
    let project = app.fixture.project_id;
    person(&app, "ed@example.com", project, Some(Role::Editor)).await;
    let mut ed = Visitor::new(&app);

    // Not signed in: the pages send to the sign-in form, and come back after.
    let (status, _) = ed.get(&format!("/console/projects/{project}/surveys")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A wrong password and an unknown address get the same answer.
    let wrong =
        ed.post("/console/sign-in", &[("email", "ed@example.com"), ("password", "not the password!")]).await;
    let nobody =
        ed.post("/console/sign-in", &[("email", "nobody@example.com"), ("password", PASSWORD)]).await;
    assert_eq!((wrong.status(), nobody.status()), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    let (wrong, nobody) = (wrong.text().await.unwrap(), nobody.text().await.unwrap());
    assert!(wrong.contains("The email or the password is wrong."));
    assert_eq!(wrong.replace("ed@example.com", "X"), nobody.replace("nobody@example.com", "X"));

    // The cookie: HttpOnly, SameSite=Lax, the whole host; on loopback http, not `Secure`
    // (browsers would drop it) and so not `__Host-` either.
    let r = ed.sign_in("ed@example.com").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers().get(SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(set.starts_with("fbk_console=fbk_ses_"), "{set}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    let first = ed.cookie.clone().unwrap();

    // Session fixation: signing in with a cookie already set gives a new session, and the
    // old one ends.
    let r = ed.sign_in("ed@example.com").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let second = ed.cookie.clone().unwrap();
    assert_ne!(first, second, "a new session id at sign-in");
    let mut planted = Visitor::new(&app);
    planted.cookie = Some(first);
    assert_eq!(planted.get("/console/").await.0, StatusCode::SEE_OTHER, "the earlier session ended");

    // CSRF: a form without the token, with another session's token, or from another site
    // changes nothing.
    let surveys = format!("/console/projects/{project}/surveys");
    let r = new_survey(&mut ed, &surveys, "", "same-origin").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("security token"));
    // Another person's token (their session's) is not this session's.
    let mut other = Visitor::new(&app);
    person(&app, "other@example.com", project, Some(Role::Editor)).await;
    other.sign_in("other@example.com").await;
    let others = other.csrf().await;
    assert_eq!(new_survey(&mut ed, &surveys, &others, "same-origin").await.status(), StatusCode::FORBIDDEN);
    let csrf = ed.csrf().await;
    assert_eq!(new_survey(&mut ed, &surveys, &csrf, "cross-site").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM surveys WHERE key = 'churn'"), 0);
    let r = new_survey(&mut ed, &surveys, &csrf, "same-origin").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], format!("{surveys}/churn?created=1"));
    assert_eq!(app.count("SELECT count(*) FROM surveys WHERE key = 'churn'"), 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'survey.create' AND actor = 'ed@example.com'"
        ),
        1,
        "the audit log says who"
    );

    // Signing out ends the session on the server.
    let r = ed.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut replay = Visitor::new(&app);
    replay.cookie = Some(second);
    assert_eq!(replay.get("/console/").await.0, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_enforced_on_the_server_for_every_route_and_project() {
    let app = spawn_app().await;
    let a = app.fixture.project_id;
    let b = manage::create_project(&app.db.services(), "Other team", &[]).await.unwrap().id;
    person(&app, "viewer@example.com", a, Some(Role::Viewer)).await;
    person(&app, "editor@example.com", a, Some(Role::Editor)).await;
    let mut viewer = Visitor::new(&app);
    viewer.sign_in("viewer@example.com").await;
    let viewer_csrf = viewer.csrf().await;
    let mut editor = Visitor::new(&app);
    editor.sign_in("editor@example.com").await;
    let editor_csrf = editor.csrf().await;
    let before = app.count("SELECT (count(*) + sum(version))::bigint AS n FROM surveys");

    let mut refused = 0;
    for page in PAGES.iter().filter(|p| p.needs == Needs::Administrator) {
        // Accounts and new projects are the administrators': an editor is refused.
        let path = concrete(page.path, a);
        let status = match page.method.as_str() {
            "GET" => editor.get(&path).await.0,
            _ => editor.post(&path, &[("csrf", &editor_csrf), ("name", "Mine")]).await.status(),
        };
        assert_eq!(status, StatusCode::FORBIDDEN, "{} {path}", page.method);
    }
    for page in PAGES {
        let Needs::Role(scope) = page.needs else { continue };
        // A viewer is refused everything their role lacks, with a valid token: the server
        // decides, not a hidden button.
        if !Role::Viewer.allows(scope) {
            let path = concrete(page.path, a);
            let status = match page.method.as_str() {
                "GET" => viewer.get(&path).await.0,
                _ => viewer
                    .post(&path, &[("csrf", &viewer_csrf), ("role", "owner"), ("kind", "secret")])
                    .await
                    .status(),
            };
            assert_eq!(status, StatusCode::FORBIDDEN, "{} {path}", page.method);
            refused += 1;
        }
        // An editor of A finds nothing of B, on any route.
        let path = concrete(page.path, b);
        let status = match page.method.as_str() {
            "GET" => editor.get(&path).await.0,
            _ => editor.post(&path, &[("csrf", &editor_csrf)]).await.status(),
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{} {path}", page.method);
    }
    assert!(refused >= 15, "every owner and editor route was tried: {refused}");
    assert_eq!(
        app.count("SELECT (count(*) + sum(version))::bigint AS n FROM surveys"),
        before,
        "nothing changed"
    );
    assert_eq!(app.count("SELECT count(*) FROM memberships WHERE role = 'owner'"), 0);
    let (status, page) = viewer.get(&format!("/console/projects/{a}/surveys/nps-main")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Your role can read this survey, not change it.") && !page.contains("Save changes")
    );
    let (_, home) = editor.get("/console/").await;
    assert!(!home.contains("Other team"), "B is not listed to A's editor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_is_out_at_once_and_an_invitation_link_works_once() {
    let app = spawn_app().await;
    let project = app.fixture.project_id;
    person(&app, "owner@example.com", project, Some(Role::Owner)).await;
    person(&app, "leaver@example.com", project, Some(Role::Editor)).await;
    let mut owner = Visitor::new(&app);
    owner.sign_in("owner@example.com").await;
    let csrf = owner.csrf().await;
    let mut leaver = Visitor::new(&app);
    leaver.sign_in("leaver@example.com").await;
    let surveys = format!("/console/projects/{project}/surveys");
    assert_eq!(leaver.get(&surveys).await.0, 200);

    let id = uuid_of(&app, "leaver@example.com");
    let r = owner.post(&format!("/console/projects/{project}/members/{id}/remove"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(leaver.get(&surveys).await.0, StatusCode::NOT_FOUND, "the next request is refused");

    // An invitation: the link is shown once, to the owner, and accepted once.
    let r = owner
        .post(&format!("/console/projects/{project}/invitations"), &[("csrf", &csrf), ("role", "viewer")])
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page = r.text().await.unwrap();
    let at = page.find("/console/join#").expect("the link is shown");
    let token = page[at + 14..at + 14 + page[at + 14..].find('<').unwrap()].to_string();
    assert!(token.starts_with("fbk_inv_"), "{token}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM invitations WHERE token_hash::text LIKE '%{}%'",
            &token[8..20]
        )),
        0
    );

    let mut newcomer = Visitor::new(&app);
    let r = newcomer.post("/console/join", &[("token", &token)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("as <strong>viewer</strong>"));
    let accept =
        [("token", token.as_str()), ("accept", "new"), ("email", "new@example.com"), ("password", PASSWORD)];
    let r = newcomer.post("/console/join", &accept).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], surveys);
    assert_eq!(newcomer.get(&surveys).await.0, 200, "signed in, and a member");
    let mut second = Visitor::new(&app);
    let again = [
        ("token", token.as_str()),
        ("accept", "new"),
        ("email", "other@example.com"),
        ("password", PASSWORD),
    ];
    let r = second.post("/console/join", &again).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("already been used"));
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'other@example.com'"), 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action IN ('member.remove', 'invitation.create', 'invitation.accept')"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrators_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let db = app.db.services();
    accounts::create_user(&db, "admin@example.com", "", Some(SecretString::from(PASSWORD)), true)
        .await
        .unwrap();
    person(&app, "forgetful@example.com", app.fixture.project_id, Some(Role::Viewer)).await;
    let mut admin = Visitor::new(&app);
    admin.sign_in("admin@example.com").await;
    let csrf = admin.csrf().await;
    let mut forgetful = Visitor::new(&app);
    forgetful.sign_in("forgetful@example.com").await;
    assert_eq!(forgetful.get("/console/").await.0, 200);

    let (status, people) = admin.get("/console/people").await;
    assert_eq!(status, 200);
    assert!(people.contains("forgetful@example.com") && people.contains("Reset password"));
    let forgetful_id = uuid_of(&app, "forgetful@example.com");
    let r = admin.post(&format!("/console/people/{forgetful_id}/reset"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page = r.text().await.unwrap();
    let at = page.find("/console/reset#").expect("the link is shown once") + 15;
    let token = page[at..at + page[at..].find('<').unwrap()].to_string();
    assert!(token.starts_with("fbk_rst_"));

    let mut browser = Visitor::new(&app);
    let r = browser.post("/console/reset", &[("token", &token)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("forgetful@example.com"));
    let short = browser.post("/console/reset", &[("token", &token), ("password", "short")]).await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY, "the rules of a new account");
    let new_password = "a brand new long password";
    let r = browser.post("/console/reset", &[("token", &token), ("password", new_password)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/console/").await.0, 200, "signed in with the new password");
    assert_eq!(forgetful.get("/console/").await.0, StatusCode::SEE_OTHER, "the old sessions ended");
    let again =
        Visitor::new(&app).post("/console/reset", &[("token", &token), ("password", new_password)]).await;
    assert_eq!(again.status(), StatusCode::GONE, "the link works once");
    let mut old = Visitor::new(&app);
    assert_eq!(old.sign_in("forgetful@example.com").await.status(), StatusCode::UNAUTHORIZED);
    let r =
        old.post("/console/sign-in", &[("email", "forgetful@example.com"), ("password", new_password)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Disabling ends the sessions at once too.
    let r = admin.post(&format!("/console/people/{forgetful_id}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(old.get("/console/").await.0, StatusCode::SEE_OTHER);
}

fn uuid_of(app: &TestApp, email: &str) -> Uuid {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    diesel::sql_query(format!("SELECT id FROM users WHERE email = '{email}'"))
        .get_result::<Row>(&mut app.db.connect())
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apis_changes_are_in_the_audit_log_under_the_keys_name() {
    let app = spawn_app().await;
    person(&app, "owner@example.com", app.fixture.project_id, Some(Role::Owner)).await;
    let api = |method: reqwest::Method, path: &str| {
        app.client.request(method, format!("{}{path}", app.address)).bearer_auth(&app.fixture.secret_key)
    };
    let survey = serde_json::json!({"key": "onboarding", "kind": "csat", "question": "How was setup?"});
    assert_eq!(api(reqwest::Method::POST, "/v1/surveys").json(&survey).send().await.unwrap().status(), 201);
    assert_eq!(
        api(reqwest::Method::POST, "/v1/surveys/onboarding/pause").send().await.unwrap().status(),
        200
    );
    let key = serde_json::json!({"name": "ci exporter", "kind": "secret", "scopes": ["responses:export"]});
    let created: serde_json::Value =
        api(reqwest::Method::POST, "/v1/keys").json(&key).send().await.unwrap().json().await.unwrap();
    let revoke = format!("/v1/keys/{}/revoke", created["id"].as_str().unwrap());
    assert_eq!(api(reqwest::Method::POST, &revoke).send().await.unwrap().status(), 200);
    assert_eq!(api(reqwest::Method::DELETE, "/v1/respondents/u-42").send().await.unwrap().status(), 200);
    // A read changes nothing and is not logged.
    assert_eq!(api(reqwest::Method::GET, "/v1/surveys").send().await.unwrap().status(), 200);

    let logged = app.count(
        "SELECT count(*) FROM audit_events WHERE actor = 'admin' AND key_id IS NOT NULL AND user_id IS NULL",
    );
    assert_eq!(logged, 5, "survey.create, survey.pause, key.create, key.revoke, respondent.erase");
    let erased = app.count(
        "SELECT count(*) FROM audit_events WHERE action = 'respondent.erase' AND target = '' AND detail::text NOT LIKE '%u-42%'",
    );
    assert_eq!(erased, 1, "an erasure is logged without whose it was");

    let mut owner = Visitor::new(&app);
    owner.sign_in("owner@example.com").await;
    let (status, page) = owner.get(&format!("/console/projects/{}/audit", app.fixture.project_id)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("API key admin") && page.contains("survey.pause") && page.contains("ci exporter"),
        "{page}"
    );

    // A log entry that cannot be written does not turn a made change into an error (the
    // caller would retry, and a second key would be made whose token nobody saw).
    app.execute("ALTER TABLE audit_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID");
    let key = serde_json::json!({"name": "unlogged", "kind": "secret", "scopes": ["surveys:read"]});
    let r = api(reqwest::Method::POST, "/v1/keys").json(&key).send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().starts_with("fbk_sec_"));
    assert_eq!(app.count("SELECT count(*) FROM api_keys WHERE name = 'unlogged'"), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE target = 'unlogged'"),
        0,
        "the entry failed"
    );
}
