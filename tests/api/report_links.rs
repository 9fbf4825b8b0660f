//! Share links to a report page: made only by admin keys, stored hashed, opened through
//! `/reports/shared` into a session for that one survey (read-only), and ended by
//! revocation or expiry on the next request.

use crate::helpers::{spawn_app, TestApp};
use crate::insights_support::{insert, random_rows, survey_id};
use crate::mgmt_support::{call, json, other_project, secret_key};
use crate::report::{client, is_html, page, session};
use chrono::{Duration, Utc};
use feedbackd_domain::Scope;
use feedbackd_http::{Access, ENDPOINTS};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

/// Makes a link to `survey` with the fixture's admin key; the answer's body.
async fn make_link(app: &TestApp, survey: &str, body: Value) -> Value {
    let path = format!("/v1/surveys/{survey}/report-links");
    let r = call(app, Method::POST, &path, &app.fixture.secret_key, Some(&body)).await;
    let status = r.status();
    let out = json(r).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    out
}

/// Posts the shared-link form the way our page's script does (`link` = what was pasted).
async fn open(app: &TestApp, link: &str) -> Response {
    client()
        .post(format!("{}/reports/shared", app.address))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("link", link)])
        .send()
        .await
        .unwrap()
}

/// Opens `url` (as the API gave it); the `Cookie` header value of the session.
async fn link_session(app: &TestApp, url: &str) -> String {
    let r = open(app, &format!("{}{url}", app.address)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    r.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

/// The page's headline number.
fn headline(body: &str) -> &str {
    body.split("id=\"headline-value\">").nth(1).unwrap().split('<').next().unwrap()
}

async fn revoke(app: &TestApp, id: &str, token: &str) -> Response {
    call(app, Method::POST, &format!("/v1/report-links/{id}/revoke"), token, None).await
}

#[tokio::test]
async fn only_keys_with_reports_share_make_share_links_and_only_the_tokens_hash_is_stored() {
    let app = spawn_app().await;
    let reader = secret_key(&app, &[Scope::ResponsesRead, Scope::ResponsesExport, Scope::SurveysWrite]);
    for (method, path, body) in [
        (Method::POST, "/v1/surveys/nps-main/report-links", Some(json!({}))),
        (Method::GET, "/v1/report-links", None),
        (Method::POST, &format!("/v1/report-links/{}/revoke", uuid::Uuid::now_v7()), None),
    ] {
        let r = call(&app, method.clone(), path, &reader, body.as_ref()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(json(r).await["type"], "https://feedbackd.dev/problems/missing-scope");
    }
    assert_eq!(app.count("SELECT count(*) FROM report_links"), 0);

    let before = Utc::now();
    let link = make_link(&app, "nps-main", json!({"label": "  design review  "})).await;
    assert_eq!(link["survey_id"], app.fixture.nps_survey_id.to_string());
    assert_eq!(
        (link["survey_key"].as_str(), link["label"].as_str()),
        (Some("nps-main"), Some("design review"))
    );
    assert_eq!(link["status"], "active");
    assert!(link["created_by"].is_string() && link["revoked_at"].is_null());
    let expires: chrono::DateTime<Utc> = link["expires_at"].as_str().unwrap().parse().unwrap();
    let week = expires - before;
    assert!(week >= Duration::days(7) && week < Duration::days(7) + Duration::minutes(1), "{week}");
    let url = link["url"].as_str().unwrap();
    let token = url.strip_prefix("/reports/shared#").expect("relative, the token in the fragment only");
    assert!(token.starts_with("fbk_share_") && token.len() == 74, "{token}");
    assert!(link.get("token").is_none() && link.get("token_hash").is_none());

    // No column of the row holds the token, nor its secret part; the hash is its SHA-256.
    let secret = token.trim_start_matches("fbk_share_");
    let holding = app.count(&format!(
        "SELECT count(*) FROM report_links r WHERE r::text LIKE '%{secret}%' \
         OR encode(r.token_hash, 'hex') LIKE '%{secret}%' OR encode(r.token_hash, 'escape') LIKE '%{secret}%'"
    ));
    assert_eq!(holding, 0);
    let hashed = app.count(&format!(
        "SELECT count(*) FROM report_links WHERE token_hash = sha256(convert_to('{token}', 'UTF8'))"
    ));
    assert_eq!(hashed, 1);

    // Listed without the token (nor its link), with its status.
    let list = json(
        call(&app, Method::GET, "/v1/report-links?survey=nps-main", &app.fixture.secret_key, None).await,
    )
    .await;
    assert_eq!(list["links"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(secret));
    assert!(list["links"][0].get("url").is_none());
    assert_eq!(list["links"][0]["status"], "active");

    // `reports:share` alone is enough (editors in the console hold it), for all three.
    let sharer = secret_key(&app, &[Scope::ReportsShare]);
    let made = call(&app, Method::POST, "/v1/surveys/nps-main/report-links", &sharer, Some(&json!({}))).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let id = json(made).await["id"].as_str().unwrap().to_string();
    assert_eq!(call(&app, Method::GET, "/v1/report-links", &sharer, None).await.status(), 200);
    let revoke = format!("/v1/report-links/{id}/revoke");
    assert_eq!(call(&app, Method::POST, &revoke, &sharer, None).await.status(), 200);
}

#[tokio::test]
async fn share_link_requests_are_checked_and_other_projects_links_are_missing() {
    let app = spawn_app().await;
    let admin = &app.fixture.secret_key;
    let create = |survey: &str| format!("/v1/surveys/{survey}/report-links");
    let field_of = |v: &Value| v["errors"][0]["field"].as_str().unwrap_or_default().to_string();
    for (body, field) in [
        (json!({"expires_in_hours": 24, "public": true}), "public"),
        (json!({"expires_in_hours": 0}), "expires_in_hours"),
        (json!({"expires_in_hours": 2161}), "expires_in_hours"),
        (json!({"expires_in_hours": -5}), "expires_in_hours"),
        (json!({"expires_in_hours": "soon"}), "expires_in_hours"),
        (json!({"label": "x".repeat(201)}), "label"),
    ] {
        let r = call(&app, Method::POST, &create("nps-main"), admin, Some(&body)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert_eq!(field_of(&json(r).await), field, "{body}");
    }
    let r = call(&app, Method::POST, &create("feedback"), admin, Some(&json!({}))).await;
    assert_eq!((r.status(), field_of(&json(r).await).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "survey"));
    let r = app
        .client
        .post(format!("{}{}", app.address, create("nps-main")))
        .bearer_auth(admin)
        .header("content-type", "application/json")
        .body("{\"label\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(make_link(&app, "nps-main", json!({"expires_in_hours": 2160})).await["status"], "active");
    assert_eq!(make_link(&app, "csat", json!({"expires_in_hours": 1})).await["survey_key"], "csat");

    // Another project: its surveys and links are not there, its list holds only its own.
    let other = other_project(&app);
    let theirs = call(&app, Method::POST, &create("nps-main"), &other.secret_key, Some(&json!({}))).await;
    let theirs = json(theirs).await;
    let r =
        call(&app, Method::POST, &create(&other.nps_survey_id.to_string()), admin, Some(&json!({}))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = revoke(&app, theirs["id"].as_str().unwrap(), admin).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM report_links WHERE revoked_at IS NOT NULL"), 0);
    let mine = json(call(&app, Method::GET, "/v1/report-links", admin, None).await).await;
    assert_eq!(mine["links"].as_array().unwrap().len(), 2);
    let r = call(&app, Method::GET, &format!("/v1/report-links?survey={}", other.nps_survey_id), admin, None)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Revoking is idempotent: the first revocation's time stays.
    let id = mine["links"][0]["id"].as_str().unwrap();
    let first = json(revoke(&app, id, admin).await).await;
    assert_eq!(first["status"], "revoked");
    let again = revoke(&app, id, admin).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(json(again).await["revoked_at"], first["revoked_at"]);
}

#[tokio::test]
async fn a_project_has_at_most_a_hundred_live_links() {
    let app = spawn_app().await;
    let nps = app.fixture.nps_survey_id;
    let project = app.fixture.project_id;
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO report_links (project_id, survey_id, token_hash, expires_at) \
             SELECT '{project}', '{nps}', sha256(convert_to(g::text, 'UTF8')), now() + interval '1 day' \
             FROM generate_series(1, 99) g"
        )),
        &mut app.db.connect(),
    )
    .unwrap();
    let last = make_link(&app, "nps-main", json!({})).await;
    let path = "/v1/surveys/nps-main/report-links";
    let r = call(&app, Method::POST, path, &app.fixture.secret_key, Some(&json!({}))).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem = json(r).await;
    assert!(problem["detail"].as_str().unwrap().contains("100 live share links"), "{problem}");
    // A revoked link is not live: room for one more.
    assert_eq!(revoke(&app, last["id"].as_str().unwrap(), &app.fixture.secret_key).await.status(), 200);
    make_link(&app, "nps-main", json!({})).await;
}

#[tokio::test]
async fn a_share_link_opens_its_survey_read_only_with_the_logins_numbers() {
    let app = spawn_app().await;
    let nps = survey_id(&app, "nps-main");
    let start = Utc::now() - Duration::days(20);
    insert(&app, nps, &random_rows(3, 300, start, Duration::days(19), 0, 10));
    let link = make_link(&app, "nps-main", json!({"expires_in_hours": 2})).await;
    let url = link["url"].as_str().unwrap();

    // The whole link, its fragment or the token alone: each opens it.
    let token = url.split('#').nth(1).unwrap();
    for pasted in [format!("{}{url}", app.address), format!("#{token}"), token.to_string()] {
        let r = open(&app, &pasted).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{pasted}");
        assert_eq!(r.headers()[LOCATION], "/reports/nps-main");
        let set = r.headers()[SET_COOKIE].to_str().unwrap();
        for attribute in ["fbk_report=", "HttpOnly", "SameSite=Strict", "Path=/reports"] {
            assert!(set.contains(attribute), "{attribute} in {set}");
        }
        assert!(!set.contains(token.trim_start_matches("fbk_share_")), "the token is not in the cookie");
        // The session ends with the link (2 hours), not after the usual 12.
        let max_age: i64 = set.split("Max-Age=").nth(1).unwrap().split(';').next().unwrap().parse().unwrap();
        assert!((7190..=7200).contains(&max_age), "{set}");
    }
    let shared = link_session(&app, url).await;
    let login = session(&app, &app.fixture.secret_key).await;

    let r = page(&app, Some(&shared), "/reports/nps-main").await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let by_key = page(&app, Some(&login), "/reports/nps-main").await.text().await.unwrap();
    assert_eq!(headline(&body), headline(&by_key), "the same headline as a login session");
    assert!(by_key.contains("download-csv") && !body.contains("download-csv"), "no download from a link");
    let by_id = page(&app, Some(&shared), &format!("/reports/{nps}?tz=Europe/Berlin")).await;
    assert_eq!(by_id.status(), 200, "the survey by its id too");

    // The CSV is refused, and so is every other survey on every survey page.
    let r = page(&app, Some(&shared), "/reports/nps-main/export.csv").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&r) && r.text().await.unwrap().contains("cannot download"));
    let mut walked = 0;
    for e in
        ENDPOINTS.iter().filter(|e| matches!(e.access, Access::Session(_)) && e.path.contains("{survey}"))
    {
        for other in ["csat", "paused", "no-such-survey"] {
            let r = page(&app, Some(&shared), &e.path.replace("{survey}", other)).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{} for {other}", e.path);
            assert!(is_html(&r));
        }
        walked += 1;
    }
    assert!(walked >= 2);
    let index = page(&app, Some(&shared), "/reports/").await.text().await.unwrap();
    assert!(
        index.contains("href=\"/reports/nps-main\"") && !index.contains("href=\"/reports/csat\""),
        "{index}"
    );

    // The cookie is not a key: the JSON API refuses it.
    let r = app
        .client
        .get(format!("{}/v1/surveys/nps-main/summary", app.address))
        .header("Cookie", &shared)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoking_a_link_ends_its_sessions_on_the_next_request() {
    let app = spawn_app().await;
    let link = make_link(&app, "nps-main", json!({})).await;
    let cookie = link_session(&app, link["url"].as_str().unwrap()).await;
    assert_eq!(page(&app, Some(&cookie), "/reports/nps-main").await.status(), 200);
    let r = revoke(&app, link["id"].as_str().unwrap(), &app.fixture.secret_key).await;
    assert_eq!(json(r).await["status"], "revoked");

    for path in ["/reports/nps-main", "/reports/"] {
        let r = page(&app, Some(&cookie), path).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(is_html(&r));
        let body = r.text().await.unwrap();
        assert!(body.contains("has been revoked"), "{body}");
        assert!(body.contains("action=\"/reports/shared\""), "back to the shared-link page: {body}");
    }
    let r = open(&app, link["url"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("has been revoked"));
}

/// Moves a link's creation and expiry into the past, by SQL intervals ago.
fn backdate(app: &TestApp, link: &Value, created_ago: &str, expired_ago: &str) {
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE report_links SET created_at = now() - interval '{created_ago}', \
             expires_at = now() - interval '{expired_ago}' WHERE id = '{}'",
            link["id"].as_str().unwrap()
        )),
        &mut app.db.connect(),
    )
    .unwrap();
}

#[tokio::test]
async fn an_expired_link_neither_opens_nor_keeps_its_sessions() {
    let app = spawn_app().await;
    let link = make_link(&app, "nps-main", json!({})).await;
    let url = link["url"].as_str().unwrap();
    let cookie = link_session(&app, url).await;
    backdate(&app, &link, "8 days", "1 second");
    let r = page(&app, Some(&cookie), "/reports/nps-main").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("has expired"));
    let r = open(&app, url).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(is_html(&r) && r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("has expired"));
    let list = json(call(&app, Method::GET, "/v1/report-links", &app.fixture.secret_key, None).await).await;
    assert_eq!(list["links"][0]["status"], "expired");

    // Listed for 30 days after it ended, then forgotten when the project makes a link.
    backdate(&app, &link, "40 days", "31 days");
    let newer = make_link(&app, "nps-main", json!({})).await;
    let list = json(call(&app, Method::GET, "/v1/report-links", &app.fixture.secret_key, None).await).await;
    let ids: Vec<&str> =
        list["links"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [newer["id"].as_str().unwrap()]);
}

#[tokio::test]
async fn bad_tokens_and_forms_get_the_shared_page_again_never_a_500() {
    let app = spawn_app().await;
    let r = client().get(format!("{}/reports/shared", app.address)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("action=\"/reports/shared\"") && body.contains("name=\"link\""));
    assert_eq!(body.matches("<script").count(), 1, "only our own script file");

    let unknown = format!("fbk_share_{}", "ab".repeat(32));
    let secret_key = app.fixture.secret_key.clone();
    for (pasted, status, says) in [
        ("", StatusCode::BAD_REQUEST, "Paste the share link"),
        ("   ", StatusCode::BAD_REQUEST, "Paste the share link"),
        ("https://example.com/reports/shared", StatusCode::UNAUTHORIZED, "not a share link"),
        ("fbk_share_zz", StatusCode::UNAUTHORIZED, "not a share link"),
        (secret_key.as_str(), StatusCode::UNAUTHORIZED, "not a share link"),
        (unknown.as_str(), StatusCode::UNAUTHORIZED, "is not valid"),
    ] {
        let r = open(&app, pasted).await;
        assert_eq!(r.status(), status, "{pasted:?}");
        assert!(is_html(&r) && r.headers().get(SET_COOKIE).is_none(), "{pasted:?}");
        assert!(r.text().await.unwrap().contains(says), "{pasted:?} says {says}");
    }

    // Not a form at all, too large, or from another site.
    let post =
        || client().post(format!("{}/reports/shared", app.address)).header("Sec-Fetch-Site", "same-origin");
    let r = post().header("content-type", "application/json").body("{\"link\": 1}").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post().form(&[("link", "x".repeat(5000))]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_html(&r));
    let link = make_link(&app, "nps-main", json!({})).await;
    let r = client()
        .post(format!("{}/reports/shared", app.address))
        .header("Origin", "https://evil.example.com")
        .form(&[("link", link["url"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&r) && r.headers().get(SET_COOKIE).is_none());

    // A link session cookie with its signature broken is no session.
    let cookie = link_session(&app, link["url"].as_str().unwrap()).await;
    let r = page(&app, Some(&format!("{cookie}A")), "/reports/nps-main").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
