//! The read API: summaries, time series, breakdowns, terms and the list of answers.
//! Handlers parse parameters, call one report and answer its JSON.

use crate::extract::insights_query::InsightsRequest;
use crate::problem::ProblemSchema;
use crate::{ApiError, AppState};
use actix_web::{web, HttpResponse, HttpResponseBuilder};
use feedbackd_core::insights::{self, shapes};
use feedbackd_core::insights::{InsightsError, Interval};
use feedbackd_core::store::{Db, ReadTarget};

/// `from` of a report, which has a default period (documentation only, as [`ReportFilters`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ReportFrom {
    /// Start of the period (RFC 3339, or a date meaning that local day in `tz`), inclusive;
    /// default 30 days before `to`. The report states the period it used: `range` in JSON,
    /// the period line on a page.
    from: Option<String>,
}

/// `from` of the list and the exports, which cover every answer unless narrowed.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListFrom {
    /// Start of the period (RFC 3339, or a date meaning that local day in `tz`), inclusive;
    /// default: the first answer (no lower bound).
    from: Option<String>,
}

/// The filters every report and the list share, after `from` ([`ReportFrom`] or
/// [`ListFrom`]). Documentation only: the handlers parse the query string themselves so
/// that every unknown parameter is refused by name.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ReportFilters {
    /// End of the period (RFC 3339, exclusive, or a date whose day is included); default now.
    to: Option<String>,
    /// IANA time zone for buckets, e.g. `Asia/Kolkata`; default UTC.
    tz: Option<String>,
    /// Lowest score.
    score_min: Option<i32>,
    /// Highest score.
    score_max: Option<i32>,
    /// NPS band: detractor, passive or promoter.
    band: Option<String>,
    /// Only answers with (true) or without (false) a comment.
    has_comment: Option<bool>,
    /// Feedback category: bug, idea, praise or other.
    category: Option<String>,
    /// Full-text query on comments.
    q: Option<String>,
    /// Comment tone: positive, neutral or negative (VADER compound ≥ 0.05, between, ≤ -0.05).
    /// Answers whose comment is not scored (none, pending, not English) never match.
    sentiment: Option<String>,
    /// Answers whose comment names this theme (its key, as `/themes` gives it); repeat for
    /// any of several (at most 20). One theme alone is answered from the rollups.
    theme: Option<String>,
    /// Answers whose attribute KEY has the value V: `attributes[KEY]=V` (this object in
    /// `deepObject` style, which generated clients send) or `attributes.KEY=V`; several keys
    /// all must match. For a set of values of one key, repeat `attributes.KEY`
    /// (`attributes.plan=pro&attributes.plan=team`).
    #[param(style = DeepObject, explode)]
    attributes: Option<std::collections::BTreeMap<String, String>>,
    /// Answers whose question KEY has the option (or, for a rating, the point) V:
    /// `answers[KEY]=V` or `answers.KEY=V`; repeat for any of several options
    /// (`answers.reason=price&answers.reason=bugs`). `answers[reason]=price` on the summary
    /// is the NPS among those who chose *price*.
    #[param(style = DeepObject, explode)]
    answers: Option<std::collections::BTreeMap<String, String>>,
}

/// Runs `read` where reads go (a fresh replica, else the primary); a replica that fails
/// it for the database's sake (an answer of 503 or 500) is set aside and the primary
/// answers instead, so a replica going down costs a slow answer, not an error.
pub(crate) async fn on_reads<T, E, F, Fut>(state: &AppState, read: F) -> Result<(ReadTarget, T), ApiError>
where
    F: Fn(Db) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: Into<ApiError>,
{
    let at = state.reads.target();
    match read(at.db.clone()).await.map_err(Into::into) {
        Err(error @ (ApiError::Unavailable { .. } | ApiError::Internal(_))) if at.replica => {
            tracing::warn!(%error, "a read replica failed a read: the primary answers it");
            state.reads.failed(&at);
            let primary = state.reads.primary();
            let out = read(primary.db.clone()).await.map_err(Into::into)?;
            Ok((primary, out))
        }
        other => Ok((at, other?)),
    }
}

/// [`on_reads`], answered as JSON with the read's [`freshness`].
async fn read_json<T, E, F, Fut>(state: &AppState, read: F) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize,
    F: Fn(Db) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: Into<ApiError>,
{
    let (at, out) = on_reads(state, read).await?;
    Ok(fresh(&at).json(out))
}

/// How fresh the read behind an answer is: `X-Feedbackd-As-Of` (every change the primary
/// committed before this instant is in the answer) and `X-Feedbackd-Read-From` (`primary`
/// or `replica`).
pub(crate) fn freshness(at: &ReadTarget) -> [(&'static str, String); 2] {
    [
        ("x-feedbackd-as-of", at.as_of.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        ("x-feedbackd-read-from", if at.replica { "replica" } else { "primary" }.to_string()),
    ]
}

/// A `200` with the read's [`freshness`].
pub(crate) fn fresh(at: &ReadTarget) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    for header in freshness(at) {
        response.insert_header(header);
    }
    response
}

impl From<InsightsError> for ApiError {
    fn from(error: InsightsError) -> Self {
        match error {
            InsightsError::SurveyNotFound(r) => {
                ApiError::NotFound(format!("no survey {r:?} in this project"))
            }
            InsightsError::Invalid { field, message } => ApiError::field(field, message),
            InsightsError::Store(e) => e.into(),
        }
    }
}

/// A survey's figures over a period: how many answered and its score (NPS, CSAT or CES).
#[utoipa::path(get, path = "/v1/surveys/{survey}/summary", operation_id = "survey_summary", tag = "insights",
    params(("survey" = String, Path, description = "the survey's id or key"), ReportFrom, ReportFilters),
    security(("secret_key" = ["responses:read"])),
    responses((status = 200, description = "Count, NPS/CSAT/CES with 95% intervals and distribution, the previous period and the change", body = shapes::Summary)))]
pub async fn summary(
    read: InsightsRequest,
    survey: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ((), params) = read.params(&[], |_| ())?;
    let (project, survey) = (&read.project, survey.as_str());
    read_json(&state, |db| {
        let (project, params) = (project.clone(), params.clone());
        async move { insights::summary(&db, project, survey, params).await }
    })
    .await
}

/// A survey's figures per day, week or month over a period, in the time zone `tz`.
#[utoipa::path(get, path = "/v1/surveys/{survey}/timeseries", operation_id = "survey_timeseries", tag = "insights",
    params(("survey" = String, Path, description = "the survey's id or key"), ("interval" = Option<String>, Query, description = "day (default), week or month"), ReportFrom, ReportFilters),
    security(("secret_key" = ["responses:read"])),
    responses((status = 200, description = "One point per local day, ISO week or month, empty buckets included", body = shapes::TimeSeries)))]
pub async fn timeseries(
    read: InsightsRequest,
    survey: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (interval, params) = read.params(&["interval"], |q| {
        q.parsed::<Interval>("interval", "day, week or month").unwrap_or(Interval::Day)
    })?;
    let (project, survey) = (&read.project, survey.as_str());
    read_json(&state, |db| {
        let (project, params) = (project.clone(), params.clone());
        async move { insights::timeseries(&db, project, survey, interval, params).await }
    })
    .await
}

/// A survey's figures per segment (platform, app version, country, locale or an
/// attribute), the largest first; segments under `min_count` answers are left out.
#[utoipa::path(get, path = "/v1/surveys/{survey}/breakdown", operation_id = "survey_breakdown", tag = "insights",
    params(("survey" = String, Path, description = "the survey's id or key"), ("by" = Option<String>, Query, description = "platform (default), app_version, country, locale, attributes.KEY, or answers.KEY (per option of a question)"), ("min_count" = Option<u64>, Query), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "segments to return, 1 to 100, default 20"), ReportFrom, ReportFilters),
    security(("secret_key" = ["responses:read"])),
    responses((status = 200, description = "The summary per segment value, largest first, with an other row", body = shapes::Breakdown)))]
pub async fn breakdown(
    read: InsightsRequest,
    survey: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ((by, min_count, limit), params) = read.params(&["by", "min_count", "limit"], |q| {
        (
            q.breakdown_key(),
            q.int_in("min_count", 1..=1_000_000, 1) as u64,
            q.int_in("limit", 1..=100, 20) as usize,
        )
    })?;
    let (project, survey) = (&read.project, survey.as_str());
    read_json(&state, |db| {
        let (project, params, by) = (project.clone(), params.clone(), by.clone());
        async move { insights::breakdown(&db, project, survey, by, min_count, limit, params).await }
    })
    .await
}

/// A survey's questions over a period: per question, how many answered it and the
/// distribution over its options (or scale) with shares and 95% Wilson intervals; the
/// product-market-fit score of a PMF survey.
#[utoipa::path(get, path = "/v1/surveys/{survey}/questions", operation_id = "survey_questions", tag = "insights",
    params(("survey" = String, Path, description = "the survey's id or key"), ReportFrom, ReportFilters),
    security(("secret_key" = ["responses:read"])),
    responses((status = 200, description = "Per question: answered, options with counts, shares and intervals (retired ones marked), rating mean; the PMF score", body = insights::QuestionsReport)))]
pub async fn questions(
    read: InsightsRequest,
    survey: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ((), params) = read.params(&[], |_| ())?;
    let (project, survey) = (&read.project, survey.as_str());
    read_json(&state, |db| {
        let (project, params) = (project.clone(), params.clone());
        async move { insights::questions(&db, project, survey, params).await }
    })
    .await
}

/// The terms most frequent in a survey's comments over a period, with how many comments
/// hold each.
#[utoipa::path(get, path = "/v1/surveys/{survey}/terms", operation_id = "survey_terms", tag = "insights",
    params(("survey" = String, Path, description = "the survey's id or key"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "terms to return, 1 to 200, default 20"), ("min_count" = Option<u64>, Query), ReportFrom, ReportFilters),
    security(("secret_key" = ["responses:read"])),
    responses((status = 200, description = "Most frequent and rising words and two-word phrases in comments", body = shapes::Terms)))]
pub async fn terms(
    read: InsightsRequest,
    survey: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ((limit, min_count), params) = read.params(&["limit", "min_count"], |q| {
        (q.int_in("limit", 1..=200, 20) as usize, q.int_in("min_count", 1..=1_000_000, 2) as u64)
    })?;
    let max = insights::MAX_TERM_COMMENTS;
    let (project, survey) = (&read.project, survey.as_str());
    read_json(&state, |db| {
        let (project, params) = (project.clone(), params.clone());
        async move { insights::terms(&db, project, survey, limit, min_count, max, params).await }
    })
    .await
}

/// Page through the answers themselves (verbatims), newest first: pass the previous
/// page's `next_cursor` as `cursor` until it is `null`.
#[utoipa::path(get, path = "/v1/responses", operation_id = "list_responses", tag = "insights",
    params(("survey" = Option<String>, Query, description = "a survey's id or key; default every survey"),
        ("cursor" = Option<String>, Query, description = "from the previous page's next_cursor"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "answers per page, 1 to 500, default 50"),
        ("include_duplicates" = Option<bool>, Query, description = "also the answers that repeat an earlier one (their duplicate_of is set), which every figure leaves out; default false"),
        ListFrom, ReportFilters),
    security(("secret_key" = ["responses:read"])),
    responses((status = 200, description = "Answers, newest first, with next_cursor", body = shapes::Page),
        (status = 404, description = "no such survey in the key's project", body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn list(read: InsightsRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ((survey, cursor, limit), params) = read
        .params(&["survey", "cursor", "limit", "include_duplicates"], |q| {
            (q.one("survey"), q.cursor(), q.int_in("limit", 1..=500, 50) as usize)
        })?;
    let (project, survey) = (&read.project, survey.as_deref());
    read_json(&state, |db| {
        let (project, params) = (project.clone(), params.clone());
        async move { insights::list(&db, project, survey, cursor, limit, params).await }
    })
    .await
}

/// What the survey's comments are about: each theme's mentions and share, whether it is
/// rising or falling against the previous period (two-proportion z-tests, Benjamini–Hochberg
/// across the themes tested), and its driver: the survey's metric among answers mentioning
/// it against the other analysed comments, with the difference's 95% interval and its
/// impact (share × difference). Counted from the rollups like every other figure.
#[utoipa::path(get, path = "/v1/surveys/{survey}/themes", operation_id = "survey_themes", tag = "insights",
    params(("survey" = String, Path, description = "the survey's id or key"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "themes to return, 1 to 200, default 20 (pinned themes come on top)"),
        ("min_count" = Option<u64>, Query, description = "fewest mentions in the period, default 5"),
        ("order" = Option<insights::ThemeOrder>, Query, description = "`impact` (default) or `mentions`"),
        ("include_hidden" = Option<bool>, Query, description = "also the themes an operator hid; default false"),
        ("interval" = Option<String>, Query, description = "day, week or month: also each theme's mentions per bucket (`series`, for sparklines); default none"),
        ReportFrom, ReportFilters),
    security(("secret_key" = ["responses:read"])),
    responses((status = 200, description = "The themes of the period's comments and what they do to the score", body = insights::ThemesReport),
        (status = 404, description = "no such survey in the key's project", body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn themes(
    read: InsightsRequest,
    survey: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query, params) =
        read.params(&["limit", "min_count", "order", "include_hidden", "interval"], |q| {
            let order = match q.one("order").as_deref() {
                None | Some("impact") => insights::ThemeOrder::Impact,
                Some("mentions") => insights::ThemeOrder::Mentions,
                Some(_) => {
                    q.error("order", "must be impact or mentions");
                    insights::ThemeOrder::Impact
                }
            };
            insights::ThemeQuery {
                limit: q.int_in("limit", 1..=200, 20) as usize,
                min_count: q.int_in("min_count", 1..=1_000_000, 5) as u64,
                order,
                include_hidden: q.parsed("include_hidden", "true or false").unwrap_or(false),
                series: q.parsed::<Interval>("interval", "day, week or month"),
            }
        })?;
    let (project, survey) = (&read.project, survey.as_str());
    read_json(&state, |db| {
        let (project, params) = (project.clone(), params.clone());
        async move { insights::themes(&db, project, survey, query, params).await }
    })
    .await
}
