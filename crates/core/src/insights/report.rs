//! The reports: summary, time series, breakdown, terms and the list. Each finds the survey
//! in the caller's project, plans which rollups and raw rows answer it, reads them in one
//! read-only repeatable-read transaction (one consistent snapshot of rows and rollups),
//! and computes the metrics.

use super::buckets::{self, Interval};
use super::filter::{Filter, RollupSelection};
use super::metrics;
use super::pieces::{decompose, Grains, Piece, ReadPlan, Source};
use super::stats::ScoreCounts;
use super::terms::{self, TermCounts};
use super::InsightsError;
use chrono::{DateTime, Utc};
use feedbackd_domain::{Scale, SurveyKind};
use feedbackd_store::insights::{self as q, CountRow, ListQuery, RawFilter, RollupRows};
use feedbackd_store::models::{Project, Survey};
use feedbackd_store::{read_snapshot, Conn};
use feedbackd_store::{surveys, Db, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

pub use super::params::{Cursor, ReportParams};
pub use super::shapes::{
    Breakdown, Page, Plan, Point, Range, Segment, Summary, SurveyInfo, Terms, TimeSeries,
};

/// Most buckets one time series may have.
pub const MAX_BUCKETS: usize = 1000;
/// Most comments the terms API reads per period (the newest).
pub const MAX_TERM_COMMENTS: i64 = 200_000;

/// Counts per bucket, per segment (`None`: ungrouped, or answers without the attribute).
type BucketCounts = Vec<HashMap<Option<String>, ScoreCounts>>;

async fn find_survey(
    db: &Db,
    project_id: Uuid,
    reference: &str,
) -> Result<(Survey, SurveyInfo), InsightsError> {
    let r = reference.to_string();
    let survey = db
        .run(move |conn| surveys::find_by_ref(conn, project_id, &r))
        .await?
        .ok_or_else(|| InsightsError::SurveyNotFound(reference.to_string()))?;
    let kind = survey.kind;
    let scale = match (survey.scale_min, survey.scale_max, kind.default_scale()) {
        (Some(min), Some(max), _) => Scale { min, max },
        (_, _, Some(default)) => default,
        _ => {
            return Err(InsightsError::invalid(
                "survey",
                "is a text survey: it has no scores (see /terms and /v1/responses)",
            ))
        }
    };
    let info = SurveyInfo { id: survey.id, key: survey.key.clone(), kind, scale };
    Ok((survey, info))
}

/// The raw-row conditions of a filter for a survey of `kind`.
fn raw_filter(filter: &Filter, kind: Option<SurveyKind>) -> Result<RawFilter, InsightsError> {
    let (score_min, score_max) = match kind {
        Some(kind) => filter.score_range(kind).map_err(|m| InsightsError::invalid("band", m))?,
        None if filter.band.is_some() => {
            return Err(InsightsError::invalid("band", "needs a survey (bands apply to NPS surveys only)"))
        }
        None => (filter.score_min, filter.score_max),
    };
    Ok(RawFilter {
        score_min,
        score_max,
        attributes: filter.attributes.clone(),
        has_comment: filter.has_comment,
        categories: filter.categories.clone(),
        text: filter.text.clone(),
        include_duplicates: filter.include_duplicates,
        sentiment: filter.sentiment,
    })
}

/// Signed counts per bucket, segment and score while pieces are added and subtracted;
/// whole again once every piece is in.
struct Tally(Vec<HashMap<(Option<String>, i16), i64>>);

impl Tally {
    fn new(buckets: usize) -> Self {
        Tally(vec![HashMap::new(); buckets])
    }

    /// Adds rows read for `plan`'s pieces to the buckets that use them.
    fn add(&mut self, plan: &ReadPlan, rows: Vec<CountRow>) {
        for r in rows {
            for &(bucket, sign) in &plan.uses[r.bucket as usize] {
                *self.0[bucket].entry((r.segment.clone(), r.score)).or_default() += sign * r.count;
            }
        }
    }

    /// The counts. Pieces tile each range exactly, so no sum is negative; one that were
    /// (a broken rollup) would count as zero rather than wrap.
    fn settle(self) -> BucketCounts {
        self.0
            .into_iter()
            .map(|cells| {
                let mut bucket: HashMap<Option<String>, ScoreCounts> = HashMap::new();
                for ((segment, score), n) in cells {
                    if n != 0 {
                        bucket.entry(segment).or_default().add_signed(score, n);
                    }
                }
                bucket
            })
            .collect()
    }
}

/// Reads counts per score for each range, answered from rollups where they can.
fn count_ranges(
    conn: &mut Conn,
    project_id: Uuid,
    survey_id: Uuid,
    ranges: &[(DateTime<Utc>, DateTime<Utc>)],
    filter: &Filter,
    raw: &RawFilter,
    group: Option<&str>,
) -> Result<(BucketCounts, Plan), StoreError> {
    let mut out = Tally::new(ranges.len());
    // Read in the snapshot, not from the cached project: the list must match the rollups
    // read below, also right after an attribute was indexed or unindexed.
    let indexed = &feedbackd_store::indexing::indexed_attributes(conn, project_id)?
        .ok_or_else(|| StoreError::Internal(format!("project {project_id} is gone")))?;
    let sealed_before = q::sealed_before(conn, project_id, survey_id)?;
    let pieces = |quarters: bool| {
        let mut pieces: Vec<Piece> = Vec::new();
        for (i, &(s, e)) in ranges.iter().enumerate() {
            decompose(s, e, i as i32, Grains { quarters, sealed_before }, &mut pieces);
        }
        ReadPlan::new(pieces)
    };
    let rollups = |conn: &mut Conn, rows: &RollupRows, plan: &ReadPlan| {
        let mut read = Vec::new();
        for source in [Source::Daily, Source::Hourly, Source::Quarter] {
            read.extend(q::rollup_counts(conn, project_id, survey_id, rows, source, &plan.reads)?);
        }
        Ok::<_, StoreError>(read)
    };
    let whole = ReadPlan::new(
        ranges
            .iter()
            .enumerate()
            .map(|(i, &(start, end))| Piece { start, end, source: Source::Raw, bucket: i as i32, sign: 1 })
            .filter(|p| p.start < p.end)
            .collect(),
    );
    let plan = match group {
        None => match filter.rollup_selection(indexed) {
            Some(selection) => {
                let pieces = pieces(selection == RollupSelection::Total);
                out.add(&pieces, rollups(conn, &RollupRows::Select(selection), &pieces)?);
                out.add(&pieces, q::raw_counts(conn, project_id, survey_id, raw, None, &pieces.reads)?);
                Plan::Rollups
            }
            None => {
                out.add(&whole, q::raw_counts(conn, project_id, survey_id, raw, None, &whole.reads)?);
                Plan::Raw
            }
        },
        Some(key) if filter.is_empty() && indexed.iter().any(|k| k == key) => {
            let pieces = pieces(false);
            out.add(&pieces, rollups(conn, &RollupRows::Group(key.to_string()), &pieces)?);
            // Answers without the attribute have no row of their own in the rollups: they
            // are the total minus every value.
            let mut total = Tally::new(ranges.len());
            total.add(&pieces, rollups(conn, &RollupRows::Select(RollupSelection::Total), &pieces)?);
            for (bucket, totals) in out.0.iter_mut().zip(total.0) {
                let mut missing: HashMap<i16, i64> = HashMap::new();
                for ((_, score), n) in totals {
                    *missing.entry(score).or_default() += n;
                }
                for ((_, score), n) in bucket.iter() {
                    *missing.entry(*score).or_default() -= n;
                }
                for (score, n) in missing {
                    *bucket.entry((None, score)).or_default() += n;
                }
            }
            out.add(&pieces, q::raw_counts(conn, project_id, survey_id, raw, Some(key), &pieces.reads)?);
            Plan::Rollups
        }
        Some(key) => {
            out.add(&whole, q::raw_counts(conn, project_id, survey_id, raw, Some(key), &whole.reads)?);
            Plan::Raw
        }
    };
    Ok((out.settle(), plan))
}

/// The metrics of a range, of the previous range of equal length, and the change.
pub async fn summary(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    p: ReportParams,
) -> Result<Summary, InsightsError> {
    let (_, info) = find_survey(db, project.id, survey).await?;
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
    let (_, info) = find_survey(db, project.id, survey).await?;
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

/// The metrics per value of an attribute (`by` is the attribute key).
pub async fn breakdown(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    by: String,
    min_count: u64,
    limit: usize,
    p: ReportParams,
) -> Result<Breakdown, InsightsError> {
    let (_, info) = find_survey(db, project.id, survey).await?;
    let raw = raw_filter(&p.filter, Some(info.kind))?;
    let range = p.report_range();
    let ranges = [(range.from, range.to)];
    let (sid, filter, key) = (info.id, p.filter.clone(), by.clone());
    let (mut counts, plan) = db
        .run(move |conn| {
            read_snapshot(conn, |conn| {
                count_ranges(conn, project.id, sid, &ranges, &filter, &raw, Some(&key))
            })
        })
        .await?;
    let mut groups = counts.pop().unwrap_or_default();
    let not_set_counts = groups.remove(&None);
    let mut total = ScoreCounts::new();
    for c in groups.values().chain(not_set_counts.iter()) {
        total.merge(c);
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
    let r = survey.to_string();
    let pid = project.id;
    let survey = db
        .run(move |conn| surveys::find_by_ref(conn, pid, &r))
        .await?
        .ok_or_else(|| InsightsError::SurveyNotFound(survey.to_string()))?;
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
    let scale = kind.default_scale().unwrap_or(Scale { min: 0, max: 0 });
    let scale =
        Scale { min: survey.scale_min.unwrap_or(scale.min), max: survey.scale_max.unwrap_or(scale.max) };
    Ok(Terms {
        survey: SurveyInfo { id: survey.id, key: survey.key, kind, scale },
        range,
        previous_range: previous,
        truncated: now.comments as i64 >= max_comments || before.comments as i64 >= max_comments,
        comments: now.comments,
        previous_comments: before.comments,
        top,
        rising,
    })
}

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
        Some(r) => {
            let (pid, reference) = (project.id, r.to_string());
            let found = db
                .run(move |conn| surveys::find_by_ref(conn, pid, &reference))
                .await?
                .ok_or_else(|| InsightsError::SurveyNotFound(r.to_string()))?;
            Some(found)
        }
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
