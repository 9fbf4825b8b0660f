//! The console's frame: the bar with the project's sections and the person's menu, the
//! skip link, messages, and the small pieces every page uses (a form's hidden CSRF field,
//! a field with its error). maud escapes everything interpolated.

use super::auth::CSRF_FIELD;
use chrono::{DateTime, Utc};
use maud::{html, Markup};

pub use crate::pages::layout::urlencode;

const STYLES: &[&str] = &["/reports/assets/report.css", "/console/assets/console.css"];
/// The report page's script too: the report inside the console uses its filters and download.
const SCRIPTS: &[&str] = &["/reports/assets/report.js", "/console/assets/console.js"];

/// Which part of the console a page belongs to, for the bar.
pub enum Place<'a> {
    /// Before signing in: no bar.
    Outside,
    /// The project list and the person's own pages.
    Home { email: &'a str, csrf: &'a str, admin: bool },
    /// A project's pages; `section` is the current one's path after the project's.
    Project { email: &'a str, csrf: &'a str, admin: bool, id: uuid::Uuid, name: &'a str, section: &'a str },
}

impl super::auth::Signed {
    /// Where this person's own pages (projects, account, people) sit, for the bar.
    pub fn home(&self) -> Place<'_> {
        Place::Home { email: &self.user.email, csrf: &self.csrf, admin: self.user.is_admin }
    }
}

impl super::auth::Member {
    /// Where this member's page in `section` (`/surveys`, `/keys`…) sits, for the bar.
    pub fn place<'a>(&'a self, section: &'a str) -> Place<'a> {
        Place::Project {
            email: &self.signed.user.email,
            csrf: &self.signed.csrf,
            admin: self.signed.user.is_admin,
            id: self.project.id,
            name: &self.project.name,
            section,
        }
    }
}

/// Field errors as one sentence: `email must be …; password must be …`.
pub fn sentence(errors: &[feedbackd_domain::FieldError]) -> String {
    errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// A project's sections, in the bar's order: path after the project's, and label.
const SECTIONS: &[(&str, &str)] = &[
    ("/surveys", "Surveys"),
    ("/share-links", "Share links"),
    ("/keys", "Keys"),
    ("/members", "Members"),
    ("/audit", "Audit log"),
];

/// A console page: the bar for `place`, the page's heading and `body`.
pub fn frame(place: Place<'_>, title: &str, notice: Option<&str>, body: Markup) -> Markup {
    console_page(place, title, Some(title), notice, body)
}

/// A console page whose `body` brings its own heading (a report).
pub fn frame_untitled(place: Place<'_>, title: &str, body: Markup) -> Markup {
    console_page(place, title, None, None, body)
}

fn console_page(
    place: Place<'_>,
    title: &str,
    heading: Option<&str>,
    notice: Option<&str>,
    body: Markup,
) -> Markup {
    let bar = match &place {
        Place::Outside => None,
        Place::Home { email, csrf, admin } | Place::Project { email, csrf, admin, .. } => {
            Some((*email, *csrf, *admin))
        }
    };
    crate::pages::layout::page(
        title,
        STYLES,
        SCRIPTS,
        html! {
            a class="skip" href="#main" { "Skip to content" }
            @if let Some((email, csrf, admin)) = bar {
                header class="bar" {
                    nav aria-label="Console" {
                        a class="brand" href="/console/" { "feedbackd" }
                        @if let Place::Project { id, name, section, .. } = &place {
                            span class="project" { (name) }
                            ul {
                                @for (path, label) in SECTIONS {
                                    li {
                                        a href=(format!("/console/projects/{id}{path}"))
                                          aria-current=[(section.starts_with(path)).then_some("page")] { (label) }
                                    }
                                }
                            }
                        }
                    }
                    div class="who" {
                        @if admin { a href="/console/people" { "People" } }
                        a href="/console/account" { (email) }
                        form method="post" action="/console/sign-out" {
                            (csrf_field(csrf))
                            button type="submit" class="link" { "Sign out" }
                        }
                    }
                }
            }
            main id="main" class="console" {
                @if let Some(heading) = heading { h1 { (heading) } }
                @if let Some(notice) = notice {
                    p class="notice" role="status" { (notice) }
                }
                (body)
            }
        },
    )
}

/// The hidden field that carries the session's CSRF token in every form.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(csrf); }
}

/// A one-button form that posts to `action` (pause, revoke, remove…).
pub fn button_form(action: &str, csrf: &str, label: &str, class: Option<&str>) -> Markup {
    html! {
        form method="post" action=(action) class="inline" {
            (csrf_field(csrf))
            button type="submit" class=[class] { (label) }
        }
    }
}

/// The form a link with its token in the fragment opens (an invitation, a password reset):
/// `console.js` fills in the token from the address and posts it; without JavaScript, a
/// person pastes the link. `error` says why the last one did not open.
pub fn link_form(action: &str, prefix: &str, label: &str, button: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error { p class="error" role="alert" { (error) } }
        form method="post" action=(action) data-fragment=(prefix) class="stack narrow" {
            label for="token" { (label) }
            input id="token" name="token" type="text" required autocomplete="off" spellcheck="false"
                placeholder=(format!("https://…{action}#{prefix}…"));
            button type="submit" { (button) }
        }
    }
}

/// The errors of a form, listed above it and announced.
pub fn errors(errors: &[(String, String)]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="errors" role="alert" {
                p { "Please correct the following:" }
                ul { @for (field, message) in errors { li { strong { (field) } " " (message) } } }
            }
        }
    }
}

/// A time as people read it, in UTC, with the machine-readable form beside.
pub fn when(at: DateTime<Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC")) } }
}

/// The console's error page.
pub fn error_page(status: u16, title: &str, detail: &str) -> Markup {
    frame(
        Place::Outside,
        &format!("{status} · {title}"),
        None,
        html! {
            p { (detail) }
            p { a href="/console/" { "Back to the console" } }
        },
    )
}
