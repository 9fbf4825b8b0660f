//! The report page (`/reports/…`): login and its cookie, refusals as HTML pages, the
//! security headers, escaping of untrusted comments, and the numbers against the API.

use crate::helpers::{spawn_app, TestApp};
use crate::insights_support::{insert, random_rows, survey_id, Row};
use crate::mgmt_support::{other_project, secret_key};
use chrono::{Duration, DurationRound, Utc};
use feedbackd_domain::Scope;
use feedbackd_http::{Access, ENDPOINTS};
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};

/// A client that shows redirects instead of following them (to see the cookie being set).
pub fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Posts the login form the way a browser on our page does.
pub async fn login(app: &TestApp, key: &str, next: &str) -> Response {
    client()
        .post(format!("{}/reports/login", app.address))
        .header("Origin", &app.address)
        .form(&[("key", key), ("next", next)])
        .send()
        .await
        .unwrap()
}

/// Signs in with `key`; the `Cookie` header value to send with report requests.
pub async fn session(app: &TestApp, key: &str) -> String {
    let r = login(app, key, "/reports/nps-main").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let set = r.headers()[SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

pub async fn page(app: &TestApp, cookie: Option<&str>, path: &str) -> Response {
    let mut request = client().get(format!("{}{path}", app.address));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The summary API's answer for `nps-main` over `query`.
pub async fn summary(app: &TestApp, key: &str, query: &str) -> serde_json::Value {
    let url = format!("{}/v1/surveys/nps-main/summary?{query}", app.address);
    let r = app.client.get(url).bearer_auth(key).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub fn is_html(r: &Response) -> bool {
    r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html")
}

#[tokio::test]
async fn login_sets_a_signed_strict_http_only_cookie_without_the_key() {
    let app = spawn_app().await;
    let key = secret_key(&app, &[Scope::ResponsesRead]);
    let r = login(&app, &key, "/reports/nps-main?tz=Europe/Berlin").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/reports/nps-main?tz=Europe/Berlin");
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.starts_with("fbk_report="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/reports", "Max-Age=43200"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    // Plain http on 127.0.0.1: browsers would drop a Secure cookie there.
    assert!(!set.contains("Secure"), "{set}");
    let secret_part = key.trim_start_matches("fbk_sec_");
    assert!(!set.contains(secret_part), "the key itself is never in the cookie");
    assert_eq!(r.headers()["cache-control"], "no-store");

    // Anywhere but loopback http the cookie is Secure.
    let r = client()
        .post(format!("{}/reports/login", app.address))
        .header("Host", "reports.example.com")
        .header("Origin", "https://reports.example.com")
        .form(&[("key", key.as_str()), ("next", "/reports/nps-main")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()[SET_COOKIE].to_str().unwrap().contains("Secure"));

    // Without a page to return to, the index of the project's scored surveys.
    let cookie = set.split(';').next().unwrap().to_string();
    let index = page(&app, Some(&cookie), "/reports/").await.text().await.unwrap();
    assert!(index.contains("href=\"/reports/nps-main\"") && !index.contains("href=\"/reports/feedback\""));

    // Never a redirect to another site.
    let r = login(&app, &key, "https://evil.example.com/").await;
    assert_eq!(r.headers()[LOCATION], "/reports/");
    for next in ["/reports//evil.example.com", "/reports/x\r\nSet-Cookie: a=b", "/reports/\\evil"] {
        let r = login(&app, &key, next).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()[LOCATION], "/reports/", "{next:?}");
    }
}

#[tokio::test]
async fn login_refuses_bad_keys_missing_scopes_and_other_sites_as_pages() {
    let app = spawn_app().await;
    let r = login(&app, "fbk_sec_notakey", "/reports/nps-main").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(is_html(&r) && r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("The key is not valid"));

    let r = login(&app, &app.fixture.publishable_key, "/reports/nps-main").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let without = secret_key(&app, &[Scope::SurveysRead, Scope::ResponsesExport]);
    let r = login(&app, &without, "/reports/nps-main").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("responses:read"));

    // CSRF: the browser must vouch that the form comes from our own page.
    let key = secret_key(&app, &[Scope::ResponsesRead]);
    let refused: [&[(&str, &str)]; 5] = [
        &[("Origin", "https://evil.example.com")],
        &[],
        &[("Origin", "null")],
        &[("Sec-Fetch-Site", "cross-site"), ("Origin", app.address.as_str())],
        &[("Sec-Fetch-Site", "same-site")],
    ];
    for headers in refused {
        let mut request = client().post(format!("{}/reports/login", app.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let r = request.form(&[("key", key.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(is_html(&r) && r.headers().get(SET_COOKIE).is_none());
    }
    // What Chromium sends under the page's no-referrer policy.
    let r = client()
        .post(format!("{}/reports/login", app.address))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Origin", "null")
        .form(&[("key", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_report_page_needs_a_valid_session_and_stays_in_its_project() {
    let app = spawn_app().await;
    let mine = app.fixture.nps_survey_id.to_string();
    let other = other_project(&app);
    let other_cookie = session(&app, &other.secret_key).await;
    let tampered = {
        let c = session(&app, &app.fixture.secret_key).await;
        format!("{}A", c)
    };
    let mut walked = 0;
    for e in ENDPOINTS {
        let Access::Session(_) = e.access else { continue };
        let path = e.path.replace("{survey}", &mine);
        for cookie in [None, Some(tampered.as_str()), Some("fbk_report=garbage")] {
            let r = page(&app, cookie, &path).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path} with {cookie:?}");
            assert!(is_html(&r));
            let body = r.text().await.unwrap();
            assert!(body.contains("/reports/login?next="), "a way to sign in: {body}");
        }
        let r = page(&app, Some(&other_cookie), &path).await;
        if e.path.contains("{survey}") {
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "another project's survey: {path}");
        } else {
            // The index lists the session's own project's surveys.
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
        assert!(is_html(&r));
        walked += 1;
    }
    assert!(walked > 0);
}

#[tokio::test]
async fn revoking_the_key_ends_its_sessions_at_once() {
    let app = spawn_app().await;
    let key = secret_key(&app, &[Scope::ResponsesRead]);
    let cookie = session(&app, &key).await;
    assert_eq!(page(&app, Some(&cookie), "/reports/nps-main").await.status(), 200);
    let key_id = app.count(&format!(
        "SELECT count(*) FROM api_keys WHERE project_id = '{}' AND name = 'test'",
        app.fixture.project_id
    ));
    assert_eq!(key_id, 1);
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE api_keys SET revoked_at = now() WHERE name = 'test'"),
        &mut app.db.connect(),
    )
    .unwrap();
    let r = page(&app, Some(&cookie), "/reports/nps-main").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("revoked"));
}

#[tokio::test]
async fn the_page_is_strict_about_what_it_loads_and_escapes_every_comment() {
    let app = spawn_app().await;
    let nps = survey_id(&app, "nps-main");
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap();
    let mut rows = random_rows(7, 300, now - Duration::days(20), Duration::days(19), 0, 10);
    let evil = "<script>alert(1)</script> & \"quoted\" <img src=x onerror=alert(2)>";
    rows.push(Row { comment: Some(evil.into()), at: now - Duration::hours(1), ..rows[0].clone() });
    rows.last_mut().unwrap().id = uuid::Uuid::now_v7();
    insert(&app, nps, &rows);
    let cookie = session(&app, &app.fixture.secret_key).await;

    let r = page(&app, Some(&cookie), "/reports/nps-main").await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    for directive in [
        "default-src 'none'",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script>alert"), "the comment is not markup");
    assert!(!body.contains("<img src=x"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"), "escaped text");
    // Nothing inline that the CSP would have to allow.
    assert!(!body.contains(" style=") && !body.contains("<style"));
    assert_eq!(body.matches("<script").count(), 1, "only our own script file");
    assert!(body.contains("<script src=\"/reports/assets/report.js\""));

    let css = client().get(format!("{}/reports/assets/report.css", app.address)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(css.text().await.unwrap().contains("prefers-color-scheme: dark"));
}

#[tokio::test]
async fn the_headline_is_the_summary_apis_number_and_bad_parameters_are_named() {
    let app = spawn_app().await;
    let nps = survey_id(&app, "nps-main");
    let today = Utc::now().date_naive();
    let start = today.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::days(20);
    insert(&app, nps, &random_rows(11, 500, start, Duration::days(20), 0, 10));
    let cookie = session(&app, &app.fixture.secret_key).await;
    let query = format!("from={}&to={}&tz=UTC", today - Duration::days(14), today - Duration::days(1));
    let summary = summary(&app, &app.fixture.secret_key, &query).await;
    let score = summary["current"]["nps"]["score"].as_f64().unwrap();
    let body = page(&app, Some(&cookie), &format!("/reports/nps-main?{query}&interval=week"))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains(&format!("id=\"headline-value\">{score:.1}<")), "NPS {score:.1} on the page");

    let r = page(&app, Some(&cookie), "/reports/nps-main?interval=month&tz=Mars/Base&bogus=1").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(is_html(&r));
    let body = r.text().await.unwrap();
    for field in ["interval", "tz", "bogus"] {
        assert!(body.contains(field), "{field} named: {body}");
    }
    let r = page(&app, Some(&cookie), "/reports/no-such-survey").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(is_html(&r));
}

#[tokio::test]
async fn the_csv_button_downloads_what_the_export_api_gives_for_the_same_filters() {
    let app = spawn_app().await;
    let nps = survey_id(&app, "nps-main");
    let today = Utc::now().date_naive();
    let start = today.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::days(10);
    insert(&app, nps, &random_rows(5, 400, start, Duration::days(10), 0, 10));
    let filters =
        format!("from={}&to={}&tz=Europe/Berlin&band=detractor&q=crash", today - Duration::days(9), today);

    let reader = session(&app, &secret_key(&app, &[Scope::ResponsesRead])).await;
    let body = page(&app, Some(&reader), &format!("/reports/nps-main?{filters}")).await.text().await.unwrap();
    assert!(!body.contains("download-csv"), "no button for a key that cannot export");
    let r = page(&app, Some(&reader), &format!("/reports/nps-main/export.csv?{filters}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&r) && r.text().await.unwrap().contains("responses:export"));

    let key = secret_key(&app, &[Scope::ResponsesRead, Scope::ResponsesExport]);
    let cookie = session(&app, &key).await;
    let body = page(&app, Some(&cookie), &format!("/reports/nps-main?{filters}&interval=week"))
        .await
        .text()
        .await
        .unwrap();
    let href = body
        .split("id=\"download-csv\"")
        .nth(1)
        .unwrap()
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(href.starts_with("/reports/nps-main/export.csv?") && href.contains("band=detractor"), "{href}");
    let r = page(&app, Some(&cookie), &href).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let downloaded = r.text().await.unwrap();

    let api = app
        .client
        .get(format!("{}/v1/exports/responses?survey=nps-main&{filters}&has_comment=true", app.address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    let exported = api.text().await.unwrap();
    assert_eq!(downloaded, exported);
    let rows = downloaded.lines().count() - 1;
    assert!(rows > 0, "some detractors mention a crash");
    let listed = body.matches("<li class=\"comment detractor\"").count();
    assert_eq!(rows.min(20), listed, "the file holds the comments the page lists (all pages)");
}
