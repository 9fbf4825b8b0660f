//! `GET /v1/exports/responses`: a thin wrapper around [`feedbackd_core::export::start`].

use crate::extract::insights_query::Query;
use crate::extract::SecretKey;
use crate::handlers::insights::{ListFrom, ReportFilters};
use crate::problem::ProblemSchema;
use crate::{ApiError, AppState};
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_core::export::{self, ExportFormat, ExportOptions};
use feedbackd_core::insights::ReportParams;
use feedbackd_core::store::Project;
use feedbackd_domain::Scope;
use futures_util::StreamExt;

/// An export request, parsed: which survey, the list's filters, and how to write it.
#[derive(Debug)]
pub struct ExportRequest {
    pub survey: Option<String>,
    pub params: ReportParams,
    pub options: ExportOptions,
}

/// Parses an export's query string with the list's parser (so the filters are the same, and
/// every bad or unknown parameter is refused by name). The CLI builds a query string from
/// its flags and comes through here too.
pub fn parse_export_query(query_string: &str) -> Result<ExportRequest, ApiError> {
    let mut q = Query::parse(query_string, &["survey", "format", "bom", "include_duplicates"]);
    let survey = q.one("survey");
    let format = q.parsed::<ExportFormat>("format", "csv or ndjson").unwrap_or(ExportFormat::Csv);
    let bom = q.parsed::<bool>("bom", "true or false").unwrap_or(false);
    let params = q.report_params();
    q.finish()?;
    Ok(ExportRequest { survey, params, options: ExportOptions { format, bom } })
}

/// Export answers as CSV or NDJSON, streamed: every answer the filters select, oldest
/// first, with the same filters as `GET /v1/responses`.
#[utoipa::path(get, path = "/v1/exports/responses", operation_id = "export_responses", tag = "insights",
    params(("format" = Option<String>, Query, description = "csv (default) or ndjson"),
        ("survey" = Option<String>, Query, description = "a survey's id or key; default every survey"),
        ("bom" = Option<bool>, Query, description = "start the CSV with a UTF-8 byte order mark (for Excel)"),
        ("include_duplicates" = Option<bool>, Query, description = "also the answers that repeat an earlier one (their duplicate_of is set), which every figure leaves out; default false"),
        ListFrom, ReportFilters),
    security(("secret_key" = ["responses:export"])),
    responses((status = 200, description = "The answers (every one from the first, unless `from` or a filter narrows them), newest first, streamed as an attachment: CSV (RFC 4180, one column per attribute key the survey has seen) or NDJSON (one list item per line)", content_type = "text/csv"),
        // The common problems come from the route table (openapi.rs); 404 is this one's own.
        (status = 404, description = "no such survey in the key's project", body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn responses(
    key: SecretKey,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = key.require(Scope::ResponsesExport)?;
    let r = parse_export_query(req.query_string())?;
    download(&state, &principal.project, r.survey.as_deref(), r.params, r.options).await
}

/// Starts an export and answers it as a streamed attachment (also the report page's CSV
/// download). Each export holds a pooled connection for its whole length, so it first takes
/// one of the export slots, released when the body is done with (finished, failed or
/// disconnected); none free is a 503.
pub async fn download(
    state: &AppState,
    project: &Project,
    survey: Option<&str>,
    params: ReportParams,
    options: ExportOptions,
) -> Result<HttpResponse, ApiError> {
    let slot = state.exports.clone().try_acquire_owned().map_err(|_| ApiError::Unavailable {
        detail: "too many exports are running; retry shortly",
        retry_after_secs: 5,
    })?;
    let at = state.reads.target();
    let out = export::start(&at.db, project, survey, params, options).await?;
    let body = out.body.map(move |chunk| {
        let _held = &slot;
        chunk
    });
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(out.filename)],
    };
    Ok(super::insights::fresh(&at)
        .content_type(out.content_type)
        .insert_header(disposition)
        // A file to save, not a page: no caching by proxies of personal data.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}
