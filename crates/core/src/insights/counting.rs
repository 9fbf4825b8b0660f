//! Counting answers per score over a range: the read plan decides which rollups and raw rows
//! answer it (pieces added and subtracted), and the tally adds them up, exactly.

use super::filter::{Filter, RollupSelection, Segmenting};
use super::pieces::{decompose, Grains, Piece, ReadPlan, Source};
use super::shapes::Plan;
use super::stats::ScoreCounts;
use super::InsightsError;
use chrono::{DateTime, Utc};
use feedbackd_domain::SurveyKind;
use feedbackd_store::insights::{self as q, CountRow, RawFilter, RollupRows};
use feedbackd_store::Conn;
use feedbackd_store::StoreError;
use std::collections::HashMap;
use uuid::Uuid;

/// Counts per bucket, per segment (`None`: ungrouped, or answers without the attribute).
pub(super) type BucketCounts = Vec<HashMap<Option<String>, ScoreCounts>>;

/// The raw-row conditions of a filter for a survey of `kind`.
pub(super) fn raw_filter(filter: &Filter, kind: Option<SurveyKind>) -> Result<RawFilter, InsightsError> {
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
        answers: filter.answers.clone(),
        has_comment: filter.has_comment,
        categories: filter.categories.clone(),
        text: filter.text.clone(),
        include_duplicates: filter.include_duplicates,
        sentiment: filter.sentiment,
        themes: filter.themes.clone(),
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
pub(super) fn count_ranges(
    conn: &mut Conn,
    project_id: Uuid,
    survey_id: Uuid,
    ranges: &[(DateTime<Utc>, DateTime<Utc>)],
    filter: &Filter,
    raw: &RawFilter,
    group: Option<&Segmenting>,
) -> Result<(BucketCounts, Plan), StoreError> {
    let mut out = Tally::new(ranges.len());
    // Read in the snapshot, not from the cached project: the list must match the rollups
    // read below, also right after an attribute was indexed or unindexed, and while one is
    // backfilled (it counts from the raw rows until then).
    let indexed = &feedbackd_store::indexing::filled_attributes(conn, project_id)?
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
        for source in [Source::Monthly, Source::Daily, Source::Hourly, Source::Quarter] {
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
        // Every question's options and every theme are in the rollups, and an answer may
        // have several: the `''` value (answered the question, comment analysed) stands for
        // "has any", so nothing is derived.
        Some(seg @ (Segmenting::Question(_) | Segmenting::Themes)) if filter.is_empty() => {
            let pieces = pieces(false);
            out.add(&pieces, rollups(conn, &RollupRows::Group(seg.dimension()), &pieces)?);
            out.add(&pieces, q::raw_counts(conn, project_id, survey_id, raw, group, &pieces.reads)?);
            Plan::Rollups
        }
        Some(Segmenting::Attribute(key)) if filter.is_empty() && indexed.iter().any(|k| k == key) => {
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
            out.add(&pieces, q::raw_counts(conn, project_id, survey_id, raw, group, &pieces.reads)?);
            Plan::Rollups
        }
        Some(_) => {
            out.add(&whole, q::raw_counts(conn, project_id, survey_id, raw, group, &whole.reads)?);
            Plan::Raw
        }
    };
    Ok((out.settle(), plan))
}
