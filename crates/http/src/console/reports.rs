//! A survey's report inside the console: the report page's own figures, comments (search
//! and filters) and CSV download, for members whose role reads responses, without a key.

use super::auth::{ConsoleError, Member};
use super::layout::frame_untitled;
use crate::pages::handlers::{report_csv, report_html};
use crate::pages::page::{self, Links};
use crate::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use feedbackd_domain::Scope;

/// The report page of a survey.
pub async fn report(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::ResponsesRead)?;
    let survey = &path.1;
    let links = Links {
        export: m.may(Scope::ResponsesExport).then(|| m.path(&format!("/reports/{survey}/export.csv"))),
        sign_out: None,
    };
    let place = m.place("/surveys");
    Ok(report_html(&state, m.project.clone(), survey, req.query_string(), |options, data| {
        frame_untitled(place, &page::title(data), page::body(options, data, &links, false))
    })
    .await?)
}

/// The report's comment list as CSV (the export API's function).
pub async fn export_csv(
    req: HttpRequest,
    m: Member,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    m.require(Scope::ResponsesExport)?;
    Ok(report_csv(&state, &m.project, &path.1, req.query_string()).await?)
}
