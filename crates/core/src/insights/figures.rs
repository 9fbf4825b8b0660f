//! The figures of a survey: summary, time series, breakdown and terms. Each finds the survey
//! in the caller's project, plans which rollups and raw rows answer it, reads them in one
//! read-only repeatable-read transaction (one consistent snapshot of rows and rollups),
//! and computes the metrics.

use super::buckets::{self, Interval};
use super::counting::{count_ranges, raw_filter};
use super::filter::Segmenting;
use super::metrics;
use super::params::ReportParams;
use super::shapes::{Breakdown, Point, Segment, Summary, SurveyInfo, Terms, TimeSeries};
use super::stats::ScoreCounts;
use super::terms::{self, TermCounts};
use super::InsightsError;
use feedbackd_domain::Scale;
use feedbackd_store::insights::{self as q};
use feedbackd_store::models::{Project, Survey};
use feedbackd_store::read_snapshot;
use feedbackd_store::{surveys, Db, StoreError};
use std::sync::Arc;
use uuid::Uuid;

/// Most buckets one time series may have.
pub const MAX_BUCKETS: usize = 1000;
/// Most comments the terms API reads per period (the newest).
pub const MAX_TERM_COMMENTS: i64 = 200_000;

/// The one lookup of a survey of the project by id or key, for every read.
pub(crate) async fn find(db: &Db, project_id: Uuid, reference: &str) -> Result<Survey, InsightsError> {
    let r = reference.to_string();
    db.run(move |conn| surveys::find_by_ref(conn, project_id, &r))
        .await?
        .ok_or_else(|| InsightsError::SurveyNotFound(reference.to_string()))
}

/// What a report says of its survey; a survey without scores (text, choice) shows the
/// range 0 to 0.
pub(crate) fn survey_info(survey: &Survey) -> SurveyInfo {
    SurveyInfo {
        id: survey.id,
        key: survey.key.clone(),
        kind: survey.kind,
        scale: survey.scale().unwrap_or(Scale { min: 0, max: 0 }),
    }
}

/// The survey a report is of, and what the report says of it; a text survey has no scores
/// to report.
async fn scored_survey(
    db: &Db,
    project_id: Uuid,
    reference: &str,
) -> Result<(Survey, SurveyInfo), InsightsError> {
    let survey = find(db, project_id, reference).await?;
    if survey.scale().is_none() {
        return Err(InsightsError::invalid(
            "survey",
            "is a text survey: it has no scores (see /terms and /v1/responses)",
        ));
    }
    let info = survey_info(&survey);
    Ok((survey, info))
}

/// The metrics of a range, of the previous range of equal length, and the change.
pub async fn summary(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    p: ReportParams,
) -> Result<Summary, InsightsError> {
    let (_, info) = scored_survey(db, project.id, survey).await?;
    let raw = raw_filter(&p.filter, Some(info.kind))?;
    let range = p.report_range();
    let previous = range.previous();
    let ranges = [(range.from, range.to), (previous.from, previous.to)];
    let (sid, filter) = (info.id, p.filter.clone());
    let (counts, plan) = db
        .run(move |conn| {
            read_snapshot(conn, |conn| count_ranges(conn, project.id, sid, &ranges, &filter, &raw, None))
        })
        .await?;
    let get = |i: usize| counts[i].get(&None).cloned().unwrap_or_default();
    let (now, before) = (get(0), get(1));
    Ok(Summary {
        current: metrics::metrics(info.kind, info.scale, &now),
        previous: metrics::metrics(info.kind, info.scale, &before),
        change: metrics::change(info.kind, info.scale, &now, &before),
        survey: info,
        range,
        previous_range: previous,
        plan,
    })
}

/// One point per local day, ISO week or month of the range (empty ones included).
pub async fn timeseries(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    interval: Interval,
    p: ReportParams,
) -> Result<TimeSeries, InsightsError> {
    let (_, info) = scored_survey(db, project.id, survey).await?;
    let raw = raw_filter(&p.filter, Some(info.kind))?;
    let range = p.report_range();
    let buckets = buckets::buckets(p.tz, interval, range.from, range.to, MAX_BUCKETS).ok_or_else(|| {
        InsightsError::invalid(
            "interval",
            format!("makes more than {MAX_BUCKETS} points; use a longer interval or a shorter range"),
        )
    })?;
    let ranges: Vec<_> = buckets.iter().map(|b| (b.start, b.end)).collect();
    let (sid, filter) = (info.id, p.filter.clone());
    let (mut counts, plan) = db
        .run(move |conn| {
            read_snapshot(conn, |conn| count_ranges(conn, project.id, sid, &ranges, &filter, &raw, None))
        })
        .await?;
    let points = buckets
        .into_iter()
        .zip(counts.iter_mut())
        .map(|(bucket, c)| Point {
            bucket,
            metrics: metrics::metrics(info.kind, info.scale, &c.remove(&None).unwrap_or_default()),
        })
        .collect();
    Ok(TimeSeries { survey: info, interval, tz: p.tz.name().to_string(), range, points, plan })
}

/// What `by` of a breakdown names: `answers.KEY` a question, anything else an attribute.
fn segmenting(by: &str) -> Segmenting {
    match by.strip_prefix("answers.") {
        Some(key) => Segmenting::Question(key.to_string()),
        None => Segmenting::Attribute(by.to_string()),
    }
}

/// The metrics per value of an attribute (`by` is the attribute key), or per option of a
/// question (`by` is `answers.KEY`: "NPS among those who chose *price*").
pub async fn breakdown(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    by: String,
    min_count: u64,
    limit: usize,
    p: ReportParams,
) -> Result<Breakdown, InsightsError> {
    let (_, info) = scored_survey(db, project.id, survey).await?;
    let raw = raw_filter(&p.filter, Some(info.kind))?;
    let range = p.report_range();
    let ranges = [(range.from, range.to)];
    let (sid, filter, seg) = (info.id, p.filter.clone(), segmenting(&by));
    let ((mut counts, plan), all) = db
        .run(move |conn| {
            read_snapshot(conn, |conn| {
                let grouped = count_ranges(conn, project.id, sid, &ranges, &filter, &raw, Some(&seg))?;
                // A question's options overlap (several picks) and leave out those who
                // did not answer it: the total is counted for itself.
                let all = match seg {
                    Segmenting::Question(_) | Segmenting::Themes => {
                        Some(count_ranges(conn, project.id, sid, &ranges, &filter, &raw, None)?.0)
                    }
                    Segmenting::Attribute(_) => None,
                };
                Ok::<_, StoreError>((grouped, all))
            })
        })
        .await?;
    let mut groups = counts.pop().unwrap_or_default();
    let mut not_set_counts = groups.remove(&None);
    let mut total = ScoreCounts::new();
    // Only a question has its total counted for itself.
    if let Some(mut all) = all {
        total = all.pop().and_then(|mut b| b.remove(&None)).unwrap_or_default();
        let answered = groups.remove(&Some(String::new())).unwrap_or_default();
        let mut missing = ScoreCounts::new();
        for (score, n) in total.iter() {
            missing.add(score, n.saturating_sub(answered.get(score)));
        }
        not_set_counts = Some(missing);
    } else {
        for c in groups.values().chain(not_set_counts.iter()) {
            total.merge(c);
        }
    }
    let n = total.total();
    let segment = |value: Option<String>, values: Option<usize>, c: &ScoreCounts| Segment {
        value,
        values,
        share: if n == 0 { 0.0 } else { c.total() as f64 / n as f64 },
        metrics: metrics::metrics(info.kind, info.scale, c),
    };
    let mut ranked: Vec<(String, ScoreCounts)> =
        groups.into_iter().filter_map(|(k, c)| k.map(|k| (k, c))).collect();
    ranked.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(&b.0)));
    let (mut segments, mut rest, mut folded) = (Vec::new(), ScoreCounts::new(), 0);
    for (value, c) in ranked {
        if segments.len() < limit && c.total() >= min_count {
            segments.push(segment(Some(value), None, &c));
        } else {
            rest.merge(&c);
            folded += 1;
        }
    }
    Ok(Breakdown {
        by,
        range,
        min_count,
        total: metrics::metrics(info.kind, info.scale, &total),
        segments,
        other: (folded > 0).then(|| segment(None, Some(folded), &rest)),
        not_set: not_set_counts.filter(|c| c.total() > 0).map(|c| segment(None, None, &c)),
        survey: info,
        plan,
    })
}

/// The most frequent words and phrases in comments, and those rising against the previous period.
pub async fn terms(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    limit: usize,
    min_count: u64,
    max_comments: i64,
    p: ReportParams,
) -> Result<Terms, InsightsError> {
    let pid = project.id;
    let survey = find(db, pid, survey).await?;
    let kind = survey.kind;
    let raw = raw_filter(&p.filter, Some(kind))?;
    let range = p.report_range();
    let previous = range.previous();
    let ranges = [(range.from, range.to), (previous.from, previous.to)];
    let sid = survey.id;
    let (now, before) = db
        .run(move |conn| {
            let rows = read_snapshot(conn, |conn| q::comments(conn, pid, sid, &raw, &ranges, max_comments))?;
            let (mut now, mut before) = (TermCounts::default(), TermCounts::default());
            for (bucket, comment) in rows {
                if bucket == 0 { &mut now } else { &mut before }.add_comment(&comment);
            }
            Ok::<_, StoreError>((now, before))
        })
        .await?;
    let (top, rising) = terms::top_terms(&now, &before, limit, min_count);
    Ok(Terms {
        survey: survey_info(&survey),
        range,
        previous_range: previous,
        truncated: now.comments as i64 >= max_comments || before.comments as i64 >= max_comments,
        comments: now.comments,
        previous_comments: before.comments,
        top,
        rising,
    })
}
