//! The answers themselves (verbatims), newest first, a page at a time; and the query that
//! turns report parameters into rows to read, which the exports share.

use super::counting::raw_filter;
use super::figures::find;
use super::params::{Cursor, ReportParams};
use super::shapes::Page;
use super::InsightsError;
use feedbackd_store::insights::{self as q, ListQuery};
use feedbackd_store::models::{Project, Survey};
use feedbackd_store::Db;
use std::sync::Arc;

/// The list's query for `survey` (every survey when `None`) and the filters: the one place
/// that turns report parameters into rows to read, shared by the list and the export.
/// Returns the survey too, when one was named.
pub async fn list_query(
    db: &Db,
    project: &Project,
    survey: Option<&str>,
    p: &ReportParams,
) -> Result<(ListQuery, Option<Survey>), InsightsError> {
    let found = match survey {
        Some(reference) => Some(find(db, project.id, reference).await?),
        None => None,
    };
    let kind = found.as_ref().map(|s| s.kind);
    let query = ListQuery {
        project_id: project.id,
        survey_id: found.as_ref().map(|s| s.id),
        from: p.from,
        to: p.to,
        filter: raw_filter(&p.filter, kind)?,
        before: None,
        limit: 0,
    };
    Ok((query, found))
}

/// Answers newest first, `limit` per page, after `cursor`.
pub async fn list(
    db: &Db,
    project: Arc<Project>,
    survey: Option<&str>,
    cursor: Option<Cursor>,
    limit: usize,
    p: ReportParams,
) -> Result<Page, InsightsError> {
    let (mut query, _) = list_query(db, &project, survey, &p).await?;
    query.before = cursor.map(|c| (c.answered_at, c.id));
    query.limit = limit as i64 + 1;
    let mut data = db.run(move |conn| q::list(conn, &query)).await?;
    let more = data.len() > limit;
    data.truncate(limit);
    let next_cursor = if more {
        data.last().map(|a| Cursor { answered_at: a.answered_at, id: a.id }.encode())
    } else {
        None
    };
    Ok(Page { data, next_cursor })
}
