//! The read API: summaries, time series, breakdowns, terms and the list of answers.
//! Handlers parse parameters, call one report and answer its JSON.

use super::insights_query::Query;
use super::read_auth::ReadKey;
use super::{ApiError, AppState};
use crate::insights::report::{self, Cursor};
use crate::insights::{InsightsError, Interval};
use actix_web::{web, HttpRequest, HttpResponse};

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

/// `GET /v1/surveys/{id}/summary`
pub async fn summary(
    key: ReadKey,
    state: web::Data<AppState>,
    survey: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::parse(req.query_string(), &[]);
    let params = q.report_params();
    q.finish()?;
    let out = report::summary(&state.db, key.0.project.clone(), &survey, params).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /v1/surveys/{id}/timeseries`
pub async fn timeseries(
    key: ReadKey,
    state: web::Data<AppState>,
    survey: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::parse(req.query_string(), &["interval"]);
    let interval = q.parsed::<Interval>("interval", "day, week or month").unwrap_or(Interval::Day);
    let params = q.report_params();
    q.finish()?;
    let out = report::timeseries(&state.db, key.0.project.clone(), &survey, interval, params).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /v1/surveys/{id}/breakdown`
pub async fn breakdown(
    key: ReadKey,
    state: web::Data<AppState>,
    survey: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::parse(req.query_string(), &["by", "min_count", "limit"]);
    let by = match q.one("by") {
        Some(by) => match by.strip_prefix("attributes.").unwrap_or(&by) {
            k if k.is_empty() || k.len() > 64 => {
                Err(ApiError::field("by", "must name an attribute key of 1 to 64 characters"))
            }
            k => Ok(k.to_string()),
        },
        None => Err(ApiError::field(
            "by",
            "is required: platform, app_version, country, locale or attributes.KEY",
        )),
    }?;
    let min_count = q.int_in("min_count", 1..=1_000_000, 1) as u64;
    let limit = q.int_in("limit", 1..=100, 20) as usize;
    let params = q.report_params();
    q.finish()?;
    let out =
        report::breakdown(&state.db, key.0.project.clone(), &survey, by, min_count, limit, params).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /v1/surveys/{id}/terms`
pub async fn terms(
    key: ReadKey,
    state: web::Data<AppState>,
    survey: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::parse(req.query_string(), &["limit", "min_count"]);
    let limit = q.int_in("limit", 1..=200, 20) as usize;
    let min_count = q.int_in("min_count", 1..=1_000_000, 2) as u64;
    let params = q.report_params();
    q.finish()?;
    let out = report::terms(&state.db, key.0.project.clone(), &survey, limit, min_count, params).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /v1/responses`
pub async fn list(
    key: ReadKey,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::parse(req.query_string(), &["survey", "cursor", "limit"]);
    let survey = q.one("survey");
    let cursor = q.one("cursor").map(|c| {
        Cursor::decode(&c).ok_or_else(|| ApiError::field("cursor", "is not a cursor from this API"))
    });
    let limit = q.int_in("limit", 1..=500, 50) as usize;
    let params = q.report_params();
    q.finish()?;
    let out =
        report::list(&state.db, key.0.project.clone(), survey.as_deref(), cursor.transpose()?, limit, params)
            .await?;
    Ok(HttpResponse::Ok().json(out))
}
