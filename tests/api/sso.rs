//! Issue 23, single sign-on: the console against a local OpenID Connect provider that the
//! test starts (below: discovery, keys, an authorization endpoint that signs in the person
//! the test chose, and a token endpoint that checks the client secret, the redirect URI
//! and the PKCE verifier, and signs ID tokens with an RSA key made for the run).
//! Shown: the flow signs in (a new account without a password, or an existing one by its
//! verified address); a code replayed, a state from another browser, an unverified
//! address and a tampered flow cookie are all refused.

use crate::helpers::{spawn_app_with, TestApp};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenFields, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
    CoreTokenResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata,
    EmptyExtraTokenFields, EndUserEmail, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, Nonce, PrivateSigningKey,
    ResponseTypes, StandardClaims, SubjectIdentifier, TokenUrl,
};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "feedbackd-console";
const CLIENT_SECRET: &str = "a-client-secret-for-the-test";

/// A code the provider gave out, and what it was given for.
struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    email: String,
    used: bool,
}

/// The provider's state: who is signed in at it, and its codes.
struct Provider {
    issuer: String,
    key: CoreRsaPrivateSigningKey,
    email: Mutex<(String, bool)>,
    grants: Mutex<HashMap<String, Grant>>,
    /// Token requests refused, and why (for the assertions).
    refusals: Mutex<Vec<String>>,
}

fn rsa_key() -> CoreRsaPrivateSigningKey {
    let out = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .expect("openssl makes the provider's signing key");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pem = String::from_utf8(out.stdout).unwrap();
    CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new("test-key".into()))).unwrap()
}

async fn discovery(p: web::Data<Provider>) -> HttpResponse {
    let issuer = &p.issuer;
    let metadata = CoreProviderMetadata::new(
        IssuerUrl::new(issuer.clone()).unwrap(),
        AuthUrl::new(format!("{issuer}/authorize")).unwrap(),
        JsonWebKeySetUrl::new(format!("{issuer}/jwks")).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{issuer}/token")).unwrap()));
    HttpResponse::Ok().json(metadata)
}

async fn jwks(p: web::Data<Provider>) -> HttpResponse {
    HttpResponse::Ok().json(CoreJsonWebKeySet::new(vec![p.key.as_verification_key()]))
}

fn params(query: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Signs in the person the test chose, at once, and sends them back with a code.
async fn authorize(p: web::Data<Provider>, req: HttpRequest) -> HttpResponse {
    let q = params(req.query_string());
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256", "PKCE with SHA-256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    let code = uuid::Uuid::new_v4().to_string();
    let email = p.email.lock().unwrap().0.clone();
    p.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
            email,
            used: false,
        },
    );
    let back = format!("{}?code={code}&state={}", q["redirect_uri"], urlencode(&q["state"]));
    HttpResponse::SeeOther().insert_header(("Location", back)).finish()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Exchanges a code: the client's secret, the code once, the same redirect URI, and the
/// verifier whose SHA-256 is the challenge.
async fn token(p: web::Data<Provider>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form = params(std::str::from_utf8(&body).unwrap());
    let refuse = |why: &str| {
        p.refusals.lock().unwrap().push(why.to_string());
        HttpResponse::BadRequest()
            .json(serde_json::json!({"error": "invalid_grant", "error_description": why}))
    };
    let basic = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return refuse("client authentication");
    }
    let mut grants = p.grants.lock().unwrap();
    let Some(grant) = grants.get_mut(form.get("code").map_or("", String::as_str)) else {
        return refuse("unknown code");
    };
    if grant.used {
        return refuse("code used");
    }
    grant.used = true;
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse("redirect_uri");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return refuse("pkce");
    }
    let verified = p.email.lock().unwrap().1;
    let now = chrono::Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(p.issuer.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + chrono::Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new(format!("sub-{}", grant.email)))
            .set_email(Some(EndUserEmail::new(grant.email.clone())))
            .set_email_verified(Some(verified)),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(grant.nonce.clone())));
    let access = AccessToken::new(uuid::Uuid::new_v4().to_string());
    let id_token =
        CoreIdToken::new(claims, &p.key, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, Some(&access), None)
            .unwrap();
    let response = CoreTokenResponse::new(
        access,
        CoreTokenType::Bearer,
        CoreIdTokenFields::new(Some(id_token), EmptyExtraTokenFields {}),
    );
    HttpResponse::Ok().json(response)
}

/// Starts the provider on a free loopback port.
fn start_provider() -> Arc<Provider> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let provider = Arc::new(Provider {
        issuer,
        key: rsa_key(),
        email: Mutex::new(("sso@example.com".into(), true)),
        grants: Mutex::new(HashMap::new()),
        refusals: Mutex::new(Vec::new()),
    });
    let data = web::Data::from(provider.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/.well-known/openid-configuration", web::get().to(discovery))
            .route("/jwks", web::get().to(jwks))
            .route("/authorize", web::get().to(authorize))
            .route("/token", web::post().to(token))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    provider
}

/// One browser: its cookies by name, sent by hand.
#[derive(Default)]
struct Browser {
    cookies: HashMap<String, String>,
}

impl Browser {
    async fn get(&mut self, url: &str) -> reqwest::Response {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let r = client.get(url).header(COOKIE, cookie.join("; ")).send().await.unwrap();
        for set in r.headers().get_all(SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        r
    }

    /// Follows the flow: the console's start, the provider, and back; the last answer.
    async fn sign_in(&mut self, app: &TestApp) -> reqwest::Response {
        let to_provider = self.get(&format!("{}/console/sso?next=/console/account", app.address)).await;
        assert_eq!(to_provider.status(), StatusCode::SEE_OTHER);
        let authorize = to_provider.headers()[LOCATION].to_str().unwrap().to_string();
        let back = self.get(&authorize).await;
        let callback = back.headers()[LOCATION].to_str().unwrap().to_string();
        self.get(&callback).await
    }
}

async fn app_with(provider: &Provider) -> TestApp {
    let issuer = provider.issuer.clone();
    spawn_app_with(move |config| {
        config.sso = Some(feedbackd_core::sso::SsoSettings {
            issuer,
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.to_string().into(),
            name: "Test IdP".into(),
        });
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_with_pkce_signs_in_by_verified_address_once() {
    let provider = start_provider();
    let app = app_with(&provider).await;

    // The sign-in page offers it (once an account exists; before, it is the first-run page).
    feedbackd_core::accounts::create_user(&app.db.services(), "pm@example.com", "", None, false)
        .await
        .unwrap();
    let mut browser = Browser::default();
    let page = browser.get(&format!("{}/console/sign-in", app.address)).await.text().await.unwrap();
    assert!(page.contains("Sign in with Test IdP"), "{page}");

    // A new person: an account without a password, signed in, sent where they were going.
    let done = browser.sign_in(&app).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "{}", done.text().await.unwrap());
    assert_eq!(done.headers()[LOCATION], "/console/account");
    assert!(!browser.cookies.contains_key("fbk_sso"), "the flow's cookie is cleared");
    let account = browser.get(&format!("{}/console/account", app.address)).await;
    assert_eq!(account.status(), 200);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'sso@example.com' AND password_hash IS NULL"),
        1
    );

    // An existing account signs in by its address, whatever its case at the provider.
    *provider.email.lock().unwrap() = ("PM@Example.com".into(), true);
    let mut pm = Browser::default();
    assert_eq!(pm.sign_in(&app).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'pm@example.com'"), 1);
    assert_eq!(app.count("SELECT count(*) FROM console_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'pm@example.com'"), 1);

    // A code replayed (the callback sent again with the flow's cookie) signs nobody in:
    // the provider refuses a used code.
    let mut attacker = Browser::default();
    let start = attacker.get(&format!("{}/console/sso", app.address)).await;
    let authorize = start.headers()[LOCATION].to_str().unwrap().to_string();
    let back = attacker.get(&authorize).await;
    let callback = back.headers()[LOCATION].to_str().unwrap().to_string();
    let flow_cookie = attacker.cookies["fbk_sso"].clone();
    assert_eq!(attacker.get(&callback).await.status(), StatusCode::SEE_OTHER);
    let mut replayer = Browser::default();
    replayer.cookies.insert("fbk_sso".into(), flow_cookie);
    let replay = replayer.get(&callback).await;
    assert_eq!(replay.status(), StatusCode::FORBIDDEN);
    assert!(!replayer.cookies.keys().any(|k| k.contains("console")), "no session");
    assert_eq!(provider.refusals.lock().unwrap().as_slice(), ["code used"]);

    // Another browser's callback (its state and code) does not sign this one in: no flow
    // cookie of its own, or one whose state differs.
    let mut victim = Browser::default();
    let start = victim.get(&format!("{}/console/sso", app.address)).await;
    let authorize = start.headers()[LOCATION].to_str().unwrap().to_string();
    let stolen = victim.get(&authorize).await.headers()[LOCATION].to_str().unwrap().to_string();
    let mut other = Browser::default();
    let r = other.get(&stolen).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("did not start in this browser"));
    other.get(&format!("{}/console/sso", app.address)).await;
    let r = other.get(&stolen).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("state does not match"));
    // A tampered flow cookie is not ours.
    let value = other.cookies["fbk_sso"].clone();
    other.cookies.insert("fbk_sso".into(), format!("x{value}"));
    assert_eq!(other.get(&stolen).await.status(), StatusCode::FORBIDDEN);

    // An address the provider has not verified signs nobody in.
    *provider.email.lock().unwrap() = ("unverified@example.com".into(), false);
    let mut unverified = Browser::default();
    let r = unverified.sign_in(&app).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("verified email"));
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'unverified@example.com'"), 0);
    assert_eq!(
        provider.refusals.lock().unwrap().as_slice(),
        ["code used"],
        "PKCE and the client secret held"
    );
}
