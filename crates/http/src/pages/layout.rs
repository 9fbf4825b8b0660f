//! The page frame, the login form and the error page. Everything interpolated is escaped
//! by maud; nothing here is built by string concatenation of untrusted text.

use maud::{html, Markup, DOCTYPE};

/// Where the login form lives.
pub const LOGIN_PATH: &str = "/reports/login";

/// A whole HTML document around `body`: our stylesheet and script only (the CSP allows
/// nothing else).
pub fn document(title: &str, body: Markup) -> Markup {
    page(title, &["/reports/assets/report.css"], &["/reports/assets/report.js"], body)
}

/// A whole HTML document around `body` with these stylesheets and scripts of ours (the
/// report pages' and the console's).
pub fn page(title: &str, styles: &[&str], scripts: &[&str], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="no-referrer";
                title { (title) " · feedbackd" }
                // No favicon request (it would be a 404 in every log).
                link rel="icon" href="data:,";
                @for style in styles { link rel="stylesheet" href=(style); }
                @for script in scripts { script src=(script) defer {} }
            }
            body { (body) }
        }
    }
}

/// The login form: a secret key with `responses:read`, entered once. `next` is where to go
/// after; `error` says why the last attempt failed.
pub fn login(next: &str, error: Option<&str>) -> Markup {
    document(
        "Sign in",
        html! {
            main class="login" {
                h1 { "Survey reports" }
                p { "Enter a secret key with the " code { "responses:read" } " scope. "
                    "It is checked once; the browser keeps a signed session cookie, never the key." }
                @if let Some(error) = error {
                    p class="error" role="alert" { (error) }
                }
                form method="post" action=(LOGIN_PATH) {
                    input type="hidden" name="next" value=(next);
                    label for="key" { "Secret key" }
                    input id="key" name="key" type="password" autocomplete="off" required
                        spellcheck="false" placeholder="fbk_sec_…";
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// Where share links lead (`/reports/shared#<token>`).
pub const SHARED_PATH: &str = feedbackd_core::manage::report_links::SHARED_PATH;

/// The shared-link page. A link carries its token in the fragment, which the browser never
/// sends; `report.js` reads it, posts it with this form and takes it out of the address.
/// Without JavaScript a person pastes the link into the field. `error` says why the last
/// link did not open.
pub fn shared(error: Option<&str>) -> Markup {
    document(
        "Shared report",
        html! {
            main class="login" {
                h1 { "Shared survey report" }
                p { "Someone shared a survey report with you. The link itself lets you in, "
                    "until it expires or is revoked; it shows that one report, read-only." }
                @if let Some(error) = error {
                    p class="error" role="alert" { (error) }
                }
                p id="shared-status" role="status" {}
                form method="post" action=(SHARED_PATH) id="shared-form" {
                    label for="link" { "Share link" }
                    input id="link" name="link" type="text" autocomplete="off" required
                        spellcheck="false" placeholder="https://…/reports/shared#fbk_share_…";
                    button type="submit" { "Open the report" }
                }
            }
        },
    )
}

/// The index: a link to the report of each survey that has one (scores or questions).
pub fn index(surveys: &[(String, String)]) -> Markup {
    document(
        "Survey reports",
        html! {
            main class="login" {
                h1 { "Survey reports" }
                ul {
                    @for (key, question) in surveys {
                        li { a href=(format!("/reports/{}", urlencode(key))) { (key) } " — " (question) }
                    }
                }
                @if surveys.is_empty() { p { "This project has no survey with scores or questions yet." } }
                form method="post" action="/reports/logout" {
                    button type="submit" class="link" { "Sign out" }
                }
            }
        },
    )
}

/// An error page: what went wrong, and a way on (sign in again after a 401).
pub fn error(status: u16, title: &str, detail: &str, next: Option<&str>) -> Markup {
    document(
        title,
        html! {
            main class="error-page" {
                h1 { (status) " · " (title) }
                p { (detail) }
                @if status == 401 {
                    @let target = next.unwrap_or("/reports/");
                    p { a href=(format!("{LOGIN_PATH}?next={}", urlencode(target))) { "Sign in" } }
                }
            }
        },
    )
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
