//! A project's surveys in the console: the list (status, answers and headline of the last
//! 30 days), creating and editing one, pausing, resuming and archiving, a live preview of
//! the widget, and the snippet to paste.
//!
//! The forms are the API's bodies: a few fields for what everyone sets, and the rest of
//! the survey (questions, translations, presentation, targeting, fatigue, schedule, limit)
//! as the JSON `POST /v1/surveys` takes, read by the same types and checked by the same
//! functions, so the console can set every setting the API has and no rule is written twice.

use super::auth::{session_form, ConsoleError, Form, Member};
use super::layout::{self, button_form, frame};
use crate::pages::sign_in::html;
use crate::pages::view;
use crate::wire::manage::{SurveyIn, SurveyPatchIn};
use crate::{ApiError, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use feedbackd_core::insights::{self, metrics, Filter, ReportParams};
use feedbackd_core::manage::{self, ManageError, SurveyView, Transition};
use feedbackd_domain::{FieldError, Scope, SurveyKind, SurveyStatus};
use maud::{html, Markup};
use serde_json::{json, Map, Value};

/// A survey's row in the list: answers and headline over the report's default period.
struct Row {
    survey: SurveyView,
    answers: Option<u64>,
    headline: Option<String>,
}

async fn row(state: &AppState, m: &Member, survey: SurveyView) -> Result<Row, ApiError> {
    if !view::has_report(&survey) || survey.scale.is_none() {
        return Ok(Row { survey, answers: None, headline: None });
    }
    let tz = manage::time_zone_of(&m.project);
    let params = ReportParams { from: None, to: Utc::now(), tz, filter: Filter::default() };
    let summary = insights::summary(&state.db, m.project.clone(), &survey.key, params).await?;
    let kind = survey.kind;
    let headline = metrics::headline(kind, &summary.current).map(|h| view::format_value(kind, h.value));
    Ok(Row { answers: Some(summary.current.count), headline, survey })
}

/// The project's surveys.
pub async fn list(m: Member, state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::SurveysRead)?;
    let surveys = manage::list_surveys(&state.db, m.project.id, None).await?;
    // Each headline reads the rollups of its survey: concurrently, one pooled connection each.
    let rows = futures_util::future::try_join_all(
        surveys.into_iter().filter(|s| s.status != SurveyStatus::Archived).map(|s| row(&state, &m, s)),
    )
    .await?;
    let body = html! {
        @if m.may(Scope::SurveysWrite) {
            p { a class="button" href=(m.path("/surveys/new")) { "New survey" } }
        }
        @if rows.is_empty() {
            p { "No surveys yet." }
        } @else {
            table {
                caption class="visually-hidden" { "Surveys" }
                thead { tr {
                    th scope="col" { "Survey" } th scope="col" { span class="visually-hidden" { "Report" } } th scope="col" { "Kind" } th scope="col" { "Status" }
                    th scope="col" class="num" { "Answers, 30 days" } th scope="col" class="num" { "Score, 30 days" }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { a href=(m.path(&format!("/surveys/{}", r.survey.key))) { (r.survey.key) }
                                 br; span class="muted" { (r.survey.question) } }
                            td { @if view::has_report(&r.survey) { a href=(own_report(&m, &r.survey.key)) { "Report" } } }
                            td { (r.survey.kind) }
                            td { span class=(format!("status {}", r.survey.status)) { (r.survey.status) } }
                            td class="num" { (r.answers.map_or("–".to_string(), |n| n.to_string())) }
                            td class="num" {
                                (r.headline.clone().unwrap_or_else(|| "–".into()))
                                @if r.headline.is_some() { " " span class="muted" { (view::metric_name(r.survey.kind)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html(StatusCode::OK, frame(m.place("/surveys"), "Surveys", None, body)))
}

const KINDS: &[(&str, &str)] = &[
    ("nps", "NPS: how likely to recommend, 0–10"),
    ("csat", "CSAT: satisfaction, 1–5"),
    ("ces", "CES: effort, 1–7"),
    ("rating", "Rating on a scale"),
    ("text", "Free-text feedback"),
    ("choice", "A choice question (product-market fit, churn reason)"),
];

/// What the form shows: the fields as typed (after a refused post) or as stored.
struct Draft<'a> {
    key: &'a str,
    kind: &'a str,
    question: &'a str,
    reason: &'a str,
    status: &'a str,
    settings: String,
}

fn survey_form(
    m: &Member,
    action: &str,
    draft: &Draft<'_>,
    existing: Option<&SurveyView>,
    errors: &[(String, String)],
) -> Markup {
    let creating = existing.is_none();
    html! {
        (layout::errors(errors))
        form method="post" action=(action) class="stack survey-form" id="survey-form" {
            (layout::csrf_field(&m.signed.csrf))
            @if creating {
                label for="key" { "Key" }
                input id="key" name="key" type="text" required pattern="[a-z0-9][a-z0-9_\\-]{0,63}" value=(draft.key)
                    aria-describedby="key-help" spellcheck="false";
                p id="key-help" class="muted" { "What the widget and the API call it: lowercase letters, digits, - and _. It cannot change later." }
                label for="kind" { "Kind" }
                select id="kind" name="kind" {
                    @for (value, label) in KINDS {
                        option value=(value) selected[*value == draft.kind] { (label) }
                    }
                }
            } @else {
                input type="hidden" id="kind" name="kind" value=(draft.kind);
            }
            label for="question" { "Question" }
            input id="question" name="question" type="text" required maxlength="500" value=(draft.question);
            @if creating {
                label for="reason" { "Follow-up question (optional)" }
                input id="reason" name="reason" type="text" maxlength="500" value=(draft.reason)
                    aria-describedby="reason-help" placeholder="What is the main reason for your score?";
                p id="reason-help" class="muted" { "Asked after the score, as a text question keyed " code { "reason" } ". Leave empty for none." }
                label for="status" { "Status" }
                select id="status" name="status" {
                    option value="active" selected[draft.status != "draft"] { "Active: shown at once" }
                    option value="draft" selected[draft.status == "draft"] { "Draft: not shown until resumed" }
                }
            }
            details open[!creating] {
                summary { "All settings (questions, translations, presentation, targeting, fatigue, schedule, limit)" }
                p class="muted" id="settings-help" {
                    "The survey's other fields, as the API takes them ("
                    a href="/docs#/surveys/create_survey" { "reference" } "). "
                    @if !creating { "A field left out keeps its value; " code { "null" } " clears a schedule or limit." }
                }
                label for="settings" { "Settings (JSON)" }
                textarea id="settings" name="settings" rows="14" spellcheck="false" aria-describedby="settings-help" { (draft.settings) }
            }
            div class="actions" {
                button type="submit" { @if creating { "Create the survey" } @else { "Save changes" } }
                button type="button" class="secondary" id="preview-button" hidden { "Preview" }
                label for="preview-locale" class="inline-label" hidden { "Language" }
                select id="preview-locale" hidden { option value="en" { "English" } option value="de" { "Deutsch" }
                    option value="fr" { "Français" } option value="es" { "Español" } }
            }
            p id="preview-status" class="muted" role="status" {}
        }
        // The widget itself renders the preview (console.js passes it the form's survey).
        script src="/sdk/feedbackd.js" defer {}
    }
}

/// The form for a new survey.
pub async fn new_form(m: Member) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::SurveysWrite)?;
    let draft =
        Draft { key: "", kind: "nps", question: "", reason: "", status: "active", settings: "{}".into() };
    let body = survey_form(&m, &m.path("/surveys"), &draft, None, &[]);
    Ok(html(StatusCode::OK, frame(m.place("/surveys"), "New survey", None, body)))
}

/// The settings JSON of the form: an object, or a field error.
fn settings_of(form: &Form) -> Result<Map<String, Value>, FieldError> {
    let text = form.get("settings").trim();
    if text.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FieldError::new("settings", "must be a JSON object ({ … })")),
        Err(e) => Err(FieldError::new("settings", format!("is not valid JSON: {e}"))),
    }
}

/// Errors as the form lists them: each field with its message.
fn listed(error: ConsoleError) -> Result<Vec<(String, String)>, ConsoleError> {
    match error.error {
        ApiError::Validation(errors) => Ok(errors.into_iter().map(|e| (e.field, e.message)).collect()),
        ApiError::Malformed(message) => Ok(vec![("settings".into(), message)]),
        ApiError::Conflict(message) => Ok(vec![("key".into(), message)]),
        other => Err(other.into()),
    }
}

/// A body for the API's types from the form: the settings, and the fields over them.
fn body_of(form: &Form, fields: &[&str]) -> Result<Value, ApiError> {
    let mut body = settings_of(form).map_err(|e| ApiError::Validation(vec![e]))?;
    for &field in fields {
        let value = form.get(field).trim();
        if !value.is_empty() {
            body.insert(field.into(), json!(value));
        }
    }
    Ok(Value::Object(body))
}

/// How serde's refusal of a body reads on the form: under the settings field.
fn unreadable(e: serde_json::Error) -> ApiError {
    ApiError::Validation(vec![FieldError::new("settings", e.to_string())])
}

/// Creates a survey from the form.
pub async fn create(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = session_form(&req, &body, &m.signed)?;
    m.require(Scope::SurveysWrite)?;
    let attempt = async {
        let mut body = body_of(&form, &["key", "kind", "question", "status"])?;
        let reason = form.get("reason").trim();
        if !reason.is_empty() && body.get("questions").is_none() {
            body["questions"] = json!([{"key": "reason", "kind": "text", "text": reason}]);
        }
        let input: SurveyIn = serde_json::from_value(body).map_err(unreadable)?;
        let status = input.status.unwrap_or(SurveyStatus::Active);
        if !matches!(status, SurveyStatus::Draft | SurveyStatus::Active) {
            return Err(ApiError::field("status", "a new survey is `draft` or `active`"));
        }
        let survey = manage::create_survey(&state.db, m.project.id, input.into_spec(status)).await?;
        Ok::<_, ApiError>(survey)
    };
    match attempt.await {
        Ok(survey) => {
            state.forget_surveys(m.project.id);
            audit(
                &state,
                &m,
                "survey.create",
                &survey.key,
                json!({"kind": survey.kind, "status": survey.status}),
            )
            .await;
            Ok(super::auth::see_other(&m.path(&format!("/surveys/{}?created=1", survey.key))))
        }
        Err(e) => {
            let errors = listed(e.into())?;
            let draft = Draft {
                key: form.get("key"),
                kind: form.get("kind"),
                question: form.get("question"),
                reason: form.get("reason"),
                status: form.get("status"),
                settings: form.get("settings").to_string(),
            };
            let body = survey_form(&m, &m.path("/surveys"), &draft, None, &errors);
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, frame(m.place("/surveys"), "New survey", None, body)))
        }
    }
}

/// What the edit form's settings show of a survey: everything but what its own fields hold.
fn settings_json(s: &SurveyView) -> String {
    let mut v = json!({
        "presentation": s.presentation,
        "targeting": s.targeting,
        "questions": s.questions,
        "opens_at": s.schedule.opens_at,
        "closes_at": s.schedule.closes_at,
        "response_limit": s.schedule.response_limit,
    });
    if let Some(scale) = &s.scale {
        if s.kind != SurveyKind::Nps {
            v["scale_min"] = json!(scale.min);
            v["scale_max"] = json!(scale.max);
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// The snippet that shows this survey on a web page (the key is the project's publishable
/// key, which only its owners can make: the Keys page).
fn snippet(base: &str, survey: &str) -> String {
    format!(
        "<script src=\"{base}/sdk/feedbackd.js\" data-key=\"fbk_pub_YOUR_KEY\" async></script>\n\
         <button type=\"button\" data-feedbackd-show=\"{survey}\">Give feedback</button>"
    )
}

/// One survey: its settings to edit, its lifecycle, a preview, and the snippet.
pub async fn page(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::SurveysRead)?;
    let survey = manage::get_survey(&state.db, m.project.id, &path.1).await?;
    let created = req.query_string().contains("created=1");
    Ok(html(StatusCode::OK, survey_page(&req, &m, &survey, created.then_some("Survey created."), &[], None)))
}

fn survey_page(
    req: &HttpRequest,
    m: &Member,
    s: &SurveyView,
    notice: Option<&str>,
    errors: &[(String, String)],
    typed: Option<&Form>,
) -> Markup {
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let kind = s.kind.to_string();
    let draft = Draft {
        key: &s.key,
        kind: &kind,
        question: typed.map_or(&s.question, |f| f.get("question")),
        reason: "",
        status: "",
        settings: typed.map_or_else(|| settings_json(s), |f| f.get("settings").to_string()),
    };
    let own = |rest: &str| m.path(&format!("/surveys/{}{rest}", s.key));
    let editable = m.may(Scope::SurveysWrite) && s.status != SurveyStatus::Archived;
    let body = html! {
        p { "Status: " span class=(format!("status {}", s.status)) { (s.status) } " · version " (s.version)
            " · " a href=(own_report(m, &s.key)) { "Report" } }
        @if editable {
            div class="lifecycle" {
                @if s.status == SurveyStatus::Active { (button_form(&own("/pause"), &m.signed.csrf, "Pause", Some("secondary"))) }
                @if matches!(s.status, SurveyStatus::Paused | SurveyStatus::Draft) {
                    (button_form(&own("/resume"), &m.signed.csrf, "Activate", Some("secondary")))
                }
                (button_form(&own("/archive"), &m.signed.csrf, "Archive", Some("danger")))
            }
            h2 { "Settings" }
            (survey_form(m, &own(""), &draft, Some(s), errors))
        } @else {
            h2 { "Settings" }
            p class="muted" { @if s.status == SurveyStatus::Archived { "Archived surveys cannot change." } @else { "Your role can read this survey, not change it." } }
            pre class="code" { (settings_json(s)) }
        }
        h2 { "Add it to your app" }
        p { "Paste this into your page, with your project's publishable key (" a href=(m.path("/keys")) { "Keys" } "):" }
        pre class="code" id="snippet" { code { (snippet(&base, &s.key)) } }
        button type="button" class="secondary" data-copy="snippet" hidden { "Copy the snippet" }
        p class="muted" role="status" id="copy-status" {}
    };
    frame(m.place("/surveys"), &format!("Survey {}", s.key), notice, body)
}

/// Saves the edit form.
pub async fn update(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form = session_form(&req, &body, &m.signed)?;
    m.require(Scope::SurveysWrite)?;
    let reference = &path.1;
    let attempt = async {
        let body = body_of(&form, &["question"])?;
        let input: SurveyPatchIn = serde_json::from_value(body).map_err(unreadable)?;
        Ok::<_, ApiError>(manage::update_survey(&state.db, m.project.id, reference, input.into()).await?)
    };
    match attempt.await {
        Ok(survey) => {
            state.forget_surveys(m.project.id);
            audit(&state, &m, "survey.update", &survey.key, json!({"version": survey.version})).await;
            Ok(html(StatusCode::OK, survey_page(&req, &m, &survey, Some("Saved."), &[], None)))
        }
        Err(e) => {
            let errors = listed(e.into())?;
            let survey = manage::get_survey(&state.db, m.project.id, reference).await?;
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                survey_page(&req, &m, &survey, None, &errors, Some(&form)),
            ))
        }
    }
}

fn own_report(m: &Member, key: &str) -> String {
    m.path(&format!("/reports/{}", layout::urlencode(key)))
}

/// Pauses, activates or archives a survey.
pub async fn transition(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    session_form(&req, &body, &m.signed)?;
    m.require(Scope::SurveysWrite)?;
    let (_, reference, verb) = path.into_inner();
    let (transition, action) = match verb.as_str() {
        "pause" => (Transition::Pause, "survey.pause"),
        "resume" => (Transition::Resume, "survey.resume"),
        "archive" => (Transition::Archive, "survey.archive"),
        _ => return Err(ApiError::NotFound(format!("no action {verb:?}")).into()),
    };
    let survey = match manage::set_survey_status(&state.db, m.project.id, &reference, transition).await {
        Ok(survey) => survey,
        Err(ManageError::Conflict(message)) => return Err(ApiError::Conflict(message).into()),
        Err(e) => return Err(e.into()),
    };
    state.forget_surveys(m.project.id);
    audit(&state, &m, action, &survey.key, json!({"status": survey.status})).await;
    Ok(super::auth::see_other(&m.path(&format!("/surveys/{}", survey.key))))
}

/// Records a change by the member in the project's audit log.
pub async fn audit(state: &AppState, m: &Member, action: &'static str, target: &str, detail: Value) {
    feedbackd_core::console::record(&state.db, m.project.id, m.signed.actor(), action, target, detail).await;
}
