//! The themes report of a survey: what its comments are about, how often, whether that
//! is rising or falling, and what each theme does to the score. Counted from the `#theme`
//! rollups like every other figure (exact, one snapshot), named from the project's theme
//! catalog, and computed by the pure `drivers`.

use super::buckets::{self, Bucket, Interval};
use super::counting::{count_ranges, raw_filter};
use super::drivers::{self, Driver, Trend};
use super::figures::{find, survey_info, MAX_BUCKETS};
use super::filter::Segmenting;
use super::params::ReportParams;
use super::shapes::{Plan, Range, SurveyInfo};
use super::stats::ScoreCounts;
use super::InsightsError;
use feedbackd_store::models::{Project, ThemeEntry};
use feedbackd_store::Db;
use feedbackd_store::{comment_analysis, read_snapshot, themes as catalog, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use utoipa::ToSchema;

/// How the themes are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThemeOrder {
    /// By |impact| (share × difference), the largest first; themes without a driver last.
    #[default]
    Impact,
    /// By mentions in the range.
    Mentions,
}

/// What the themes report is asked besides the range and filters.
#[derive(Clone, Copy, Debug)]
pub struct ThemeQuery {
    /// Themes returned (pinned ones come on top of these).
    pub limit: usize,
    /// Fewest mentions in the range for a theme to be reported (pinned ones always are).
    pub min_count: u64,
    pub order: ThemeOrder,
    /// Also the themes an operator hid.
    pub include_hidden: bool,
    /// Mentions of each theme per local day, week or month of the range, too.
    pub series: Option<Interval>,
}

/// One theme of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeFigures {
    /// The theme's key (sorted word stems), as the catalog and `PATCH /v1/themes/{theme}` name it.
    pub key: String,
    /// Its name: the phrase first seen, or the one an operator gave.
    pub label: String,
    pub pinned: bool,
    pub hidden: bool,
    /// Analysed comments of the range that mention it.
    pub mentions: u64,
    /// `mentions` ÷ the range's analysed comments.
    pub share: f64,
    pub previous_mentions: u64,
    pub previous_share: f64,
    /// Share now against share before.
    pub trend: Trend,
    /// Its effect on the survey's metric; null for a survey without scores, or with fewer
    /// than two scored answers on a side.
    #[schema(required)]
    pub driver: Option<Driver>,
    /// One-word themes shown as this one: most of their mentions come with it.
    pub includes: Vec<String>,
    /// Mentions per bucket of `buckets` (asked with `interval`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<u64>,
}

/// `GET /v1/surveys/{survey}/themes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemesReport {
    pub survey: SurveyInfo,
    pub range: Range,
    pub previous_range: Range,
    /// Comments of the range analysed (the base of every share).
    pub comments: u64,
    pub previous_comments: u64,
    /// Comments of the range still waiting for the comment task (not in these figures yet),
    /// counted up to 100,000.
    pub pending_comments: u64,
    pub order: ThemeOrder,
    /// The buckets of each theme's `series` (asked with `interval`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<Bucket>,
    /// Analysed comments per bucket (the base of a series' shares).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bucket_comments: Vec<u64>,
    pub themes: Vec<ThemeFigures>,
    /// Themes that met `min_count` but did not fit in `limit`.
    pub more: usize,
    pub plan: Plan,
}

/// The themes of a survey's comments in a range, against the range before it.
pub async fn themes(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    query: ThemeQuery,
    p: ReportParams,
) -> Result<ThemesReport, InsightsError> {
    let survey = find(db, project.id, survey).await?;
    let (kind, scale, info) = (survey.kind, survey.scale(), survey_info(&survey));
    let raw = raw_filter(&p.filter, Some(kind))?;
    let range = p.report_range();
    let previous = range.previous();
    let ranges = [(range.from, range.to), (previous.from, previous.to)];
    let series_buckets = match query.series {
        None => Vec::new(),
        Some(interval) => {
            buckets::buckets(p.tz, interval, range.from, range.to, MAX_BUCKETS).ok_or_else(|| {
                InsightsError::invalid(
                    "interval",
                    format!("makes more than {MAX_BUCKETS} points; use a longer one"),
                )
            })?
        }
    };
    // The series' buckets after the two periods: one read for all.
    let all_ranges: Vec<_> =
        ranges.iter().copied().chain(series_buckets.iter().map(|b| (b.start, b.end))).collect();
    let (pid, sid, filter) = (project.id, survey.id, p.filter.clone());
    let (counts, plan, entries, pending) = db
        .run(move |conn| {
            read_snapshot(conn, |conn| {
                let (counts, plan) =
                    count_ranges(conn, pid, sid, &all_ranges, &filter, &raw, Some(&Segmenting::Themes))?;
                // Only the two periods name the themes; the series read what they named.
                let keys: Vec<String> =
                    counts.iter().take(2).flat_map(|c| c.keys().flatten().cloned()).collect();
                let mut entries = catalog::entries(conn, pid, &keys)?;
                entries.extend(catalog::curated(conn, pid)?);
                let pending = comment_analysis::pending_between(conn, pid, sid, ranges[0])?;
                Ok::<_, StoreError>((counts, plan, entries, pending))
            })
        })
        .await?;
    let mut counts = counts.into_iter();
    let (mut now, mut before) = (counts.next().unwrap_or_default(), counts.next().unwrap_or_default());
    let per_bucket: Vec<HashMap<Option<String>, ScoreCounts>> = counts.collect();
    // Answers naming `key` in one period or bucket (`""`: the comments analysed).
    let mentions_in = |counts: &HashMap<Option<String>, ScoreCounts>, key: &str| {
        counts.get(&Some(key.to_string())).map_or(0, ScoreCounts::total)
    };
    let analysed_now = now.remove(&Some(String::new())).unwrap_or_default();
    let analysed_before = before.remove(&Some(String::new())).unwrap_or_default();
    let catalog: HashMap<String, ThemeEntry> = entries.into_iter().map(|e| (e.key.clone(), e)).collect();
    let entry = |key: &str| catalog.get(key);

    // Mentions per key now; one-word keys that are mostly one phrase are shown as it.
    let mentions: HashMap<String, u64> = now
        .iter()
        .filter_map(|(k, c)| Some((k.clone()?, c.total())))
        .filter(|(k, _)| !entry(k).is_some_and(|e| e.hidden))
        .collect();
    let folded = drivers::near_duplicates(&mentions);
    let mut candidates: Vec<String> = mentions
        .iter()
        .filter(|(k, &n)| n >= query.min_count.max(1) && !folded.contains_key(*k))
        .map(|(k, _)| k.clone())
        .collect();
    // Pinned themes always, and hidden ones when asked.
    let shown: HashSet<String> = candidates.iter().cloned().collect();
    for e in catalog.values() {
        let wanted = e.merged_into.is_none()
            && (e.pinned
                || (query.include_hidden && e.hidden && mentions_in(&now, &e.key) >= query.min_count));
        if wanted && !shown.contains(&e.key) {
            candidates.push(e.key.clone());
        }
    }
    let empty = ScoreCounts::new();
    let (n_now, n_before) = (analysed_now.total(), analysed_before.total());
    let tests: Vec<_> =
        candidates.iter().map(|k| (mentions_in(&now, k), n_now, mentions_in(&before, k), n_before)).collect();
    let trends = drivers::trends(&tests);
    let share = |k: u64, n: u64| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let mut rows: Vec<ThemeFigures> = candidates
        .into_iter()
        .zip(trends)
        .map(|(key, trend)| {
            let c = now.get(&Some(key.clone())).unwrap_or(&empty);
            let (m_now, m_before) = (c.total(), mentions_in(&before, &key));
            let e = entry(&key);
            let mut includes: Vec<String> =
                folded.iter().filter(|(_, phrase)| **phrase == key).map(|(word, _)| word.clone()).collect();
            includes.sort();
            ThemeFigures {
                label: e.map_or_else(|| key.clone(), |e| e.label.clone()),
                pinned: e.is_some_and(|e| e.pinned),
                hidden: e.is_some_and(|e| e.hidden),
                mentions: m_now,
                share: share(m_now, n_now),
                previous_mentions: m_before,
                previous_share: share(m_before, n_before),
                trend,
                driver: scale.and_then(|s| drivers::driver(kind, s, c, &analysed_now)),
                includes,
                series: per_bucket.iter().map(|b| mentions_in(b, &key)).collect(),
                key,
            }
        })
        .collect();
    let magnitude = |t: &ThemeFigures| t.driver.as_ref().map_or(-1.0, |d| d.impact.abs());
    rows.sort_by(|a, b| {
        let primary = match query.order {
            ThemeOrder::Impact => magnitude(b).total_cmp(&magnitude(a)),
            ThemeOrder::Mentions => std::cmp::Ordering::Equal,
        };
        primary.then(b.mentions.cmp(&a.mentions)).then_with(|| a.key.cmp(&b.key))
    });
    // The first `limit`, and every pinned theme beyond them.
    let mut kept = 0;
    let mut more = 0;
    rows.retain(|t| {
        if kept < query.limit {
            kept += 1;
            true
        } else {
            more += usize::from(!t.pinned);
            t.pinned
        }
    });
    Ok(ThemesReport {
        survey: info,
        range,
        previous_range: previous,
        comments: n_now,
        previous_comments: n_before,
        pending_comments: pending,
        order: query.order,
        bucket_comments: per_bucket.iter().map(|b| mentions_in(b, "")).collect(),
        buckets: series_buckets,
        themes: rows,
        more,
        plan,
    })
}
