//! `survey.digest`: a survey's figures for a week just ended, as an event's `data`, and
//! the making of them.
//!
//! Once a week has ended in a project's time zone (Monday to Monday), every survey of the
//! project that an enabled `survey.digest` endpoint wants, and that had answers in that
//! week or the one before, gets one digest. The figures are the insights service's own
//! (the summary and the terms of the week), so a digest says what the report and the read
//! API say of the same week. Each is made exactly once however many replicas look and
//! however often they restart: its event is written in the transaction that records it in
//! `survey_digests`, and only when that record is new.

use crate::insights::drivers::Direction;
use crate::insights::metrics::headline;
use crate::insights::{
    self, buckets, shapes::Range, terms::Term, Filter, InsightsError, ReportParams, ThemeOrder, ThemeQuery,
};
use crate::manage::time_zone_of;
use crate::webhooks::integrations::MAX_TERMS;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use feedbackd_domain::SurveyKind;
use feedbackd_store::digests::{self, DuePeriod, NewDigest};
use feedbackd_store::models::{Project, Survey};
use feedbackd_store::{Db, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// What a digest event carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Digest {
    pub survey_id: uuid::Uuid,
    pub survey_key: String,
    /// `day` or `week`.
    pub period: String,
    /// The period's first day, in the project's time zone.
    pub start: chrono::NaiveDate,
    /// The day after its last.
    pub end: chrono::NaiveDate,
    pub time_zone: String,
    /// `NPS` (points), `CSAT` (satisfied share in percent), `CES` (mean effort), `mean`
    /// (mean score of a rating survey) or `responses` (a text survey: no `value`).
    pub metric: String,
    pub value: Option<f64>,
    /// The 95 % interval of `value`: `[low, high]`.
    #[schema(value_type = Option<Vec<f64>>, min_items = 2, max_items = 2)]
    pub interval: Option<(f64, f64)>,
    /// `value` minus the period before's.
    pub change: Option<f64>,
    /// Answers in the period (with a score, for a scored survey).
    pub responses: u64,
    /// Terms said more often than in the period before.
    pub rising_terms: Vec<String>,
    /// The themes of the period's comments that moved the metric most (by |impact|, at
    /// most [`MAX_THEMES`]), as the themes report gives them. Absent in digests made before
    /// themes existed.
    #[serde(default)]
    pub themes: Vec<DigestTheme>,
}

/// Themes a digest carries at most.
pub const MAX_THEMES: usize = 5;

/// A theme of a digest's week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DigestTheme {
    /// The theme's key (`/v1/surveys/{survey}/themes`, `theme=` filters).
    pub key: String,
    pub label: String,
    /// Comments of the week that name it.
    pub mentions: u64,
    /// The metric among them minus among the other comments, × their share of comments;
    /// null for a survey without scores or with too few answers.
    pub impact: Option<f64>,
    /// `rising`, `falling` or `steady` against the week before.
    pub direction: Direction,
}

impl DigestTheme {
    /// How a chat message shows it: "dark mode (impact +3.1, rising)".
    pub fn line(&self) -> String {
        let mut facts = Vec::new();
        if let Some(impact) = self.impact {
            facts.push(format!("impact {impact:+.1}"));
        }
        match self.direction {
            Direction::Rising => facts.push("rising".into()),
            Direction::Falling => facts.push("falling".into()),
            Direction::Steady => {}
        }
        if facts.is_empty() {
            self.label.clone()
        } else {
            format!("{} ({})", self.label, facts.join(", "))
        }
    }
}

impl Digest {
    /// How a chat message names the period.
    pub fn period_label(&self) -> String {
        match self.period.as_str() {
            "day" => format!("{} ({})", self.start, self.time_zone),
            _ => format!("week of {} ({})", self.start, self.time_zone),
        }
    }
}

/// The `period` of a weekly digest, in its event and in `survey_digests`.
pub const WEEK: &str = "week";

/// How long after a week ends its digests are made. An answer acknowledged just before the
/// end may still be in a group-commit batch, and replicas' clocks differ a little; a digest
/// is made once, so it waits for them rather than leave them out for good.
pub const DIGEST_DELAY: Duration = Duration::from_secs(15 * 60);

/// How often the dispatcher's loop looks for digests that are due.
pub const DIGEST_EVERY: Duration = Duration::from_secs(10 * 60);

/// A term must be in this many comments of the week to rise (the terms API's default).
const MIN_TERM_COUNT: u64 = 2;

/// A local week and the one before it, as the instants they cover.
#[derive(Debug, Clone, Copy)]
pub struct Week {
    /// Its Monday, in the zone.
    pub start: NaiveDate,
    /// The Monday after.
    pub end: NaiveDate,
    pub range: Range,
    /// The local week before, which is an hour longer or shorter than `range` when a
    /// daylight-saving change falls in either.
    pub previous: Range,
}

impl Week {
    /// The last week (Monday to Monday in `tz`) that ended at least [`DIGEST_DELAY`]
    /// before `now`.
    pub fn last_ended(tz: Tz, now: DateTime<Utc>) -> Week {
        let delay = chrono::Duration::from_std(DIGEST_DELAY).unwrap_or_default();
        let end = buckets::floor_date(insights::Interval::Week, buckets::local_date(tz, now - delay));
        let start = end - Days::new(7);
        let at = |date| buckets::start_of_local_day(tz, date);
        Week {
            start,
            end,
            range: Range { from: at(start), to: at(end) },
            previous: Range { from: at(start - Days::new(7)), to: at(start) },
        }
    }
}

/// Makes the digests due at `now`: for each project that wants digests, its last week that
/// has ended; returns how many were made (none that an earlier run, or another replica,
/// made already). The dispatcher's loop calls it every [`DIGEST_EVERY`]; tests call it
/// with the time they choose.
pub async fn generate_digests(db: &Db, now: DateTime<Utc>) -> Result<u64, InsightsError> {
    let projects = db.run(digests::projects_wanting_digests).await?;
    let weeks: HashMap<Uuid, (Arc<Project>, Tz, Week)> = projects
        .into_iter()
        .map(|p| {
            let tz = time_zone_of(&p);
            (p.id, (Arc::new(p), tz, Week::last_ended(tz, now)))
        })
        .collect();
    let due: Vec<DuePeriod> = weeks
        .iter()
        .map(|(&project_id, (_, _, week))| DuePeriod {
            project_id,
            period_start: week.start,
            since: week.previous.from,
            until: week.range.to,
        })
        .collect();
    let surveys = db.run(move |conn| digests::surveys_due(conn, WEEK, &due)).await?;
    let mut made = 0;
    for survey in surveys {
        let Some((project, tz, week)) = weeks.get(&survey.project_id) else { continue };
        let digest = digest_of(db, project.clone(), *tz, &survey, week).await?;
        let data = serde_json::to_value(&digest).map_err(|e| StoreError::Internal(e.to_string()))?;
        let (project_id, survey_id, period_start) = (survey.project_id, survey.id, week.start);
        let new = db
            .run(move |conn| {
                let digest = NewDigest { project_id, survey_id, period: WEEK, period_start, data: &data };
                digests::record(conn, &digest)
            })
            .await?;
        made += u64::from(new);
    }
    ::metrics::counter!("feedbackd_webhook_digests_total").increment(made);
    Ok(made)
}

/// The digest of `survey` for `week`, from the insights service.
async fn digest_of(
    db: &Db,
    project: Arc<Project>,
    tz: Tz,
    survey: &Survey,
    week: &Week,
) -> Result<Digest, InsightsError> {
    let reference = survey.id.to_string();
    let params =
        |range: Range| ReportParams { from: Some(range.from), to: range.to, tz, filter: Filter::default() };
    let (limit, max) = (MAX_TERMS, insights::MAX_TERM_COMMENTS);
    let terms =
        insights::terms(db, project.clone(), &reference, limit, MIN_TERM_COUNT, max, params(week.range));
    let terms = terms.await?;
    let themes = ThemeQuery {
        limit: MAX_THEMES,
        min_count: MIN_TERM_COUNT,
        order: ThemeOrder::Impact,
        include_hidden: false,
        series: None,
    };
    let themes = insights::themes(db, project.clone(), &reference, themes, params(week.range)).await?;
    let figures = match survey.kind {
        // Every text answer has its comment, so the terms counted them all (up to the
        // newest MAX_TERM_COMMENTS, as the terms API reads).
        SurveyKind::Text => Figures { responses: terms.comments, ..Figures::default() },
        // The PMF score, from the main question's counts.
        SurveyKind::Choice => {
            let report = insights::questions(db, project.clone(), &reference, params(week.range)).await?;
            let before = insights::questions(db, project, &reference, params(week.previous)).await?;
            let pmf = |r: &insights::QuestionsReport| r.pmf.as_ref().map(|p| (100.0 * p.share, p.interval));
            let (now, then) = (pmf(&report), pmf(&before));
            Figures {
                value: now.map(|(v, _)| v),
                interval: now.map(|(_, i)| (100.0 * i.low, 100.0 * i.high)),
                change: now.zip(then).map(|(now, then)| now.0 - then.0),
                responses: report.responses,
            }
        }
        kind => {
            let summary = insights::summary(db, project.clone(), &reference, params(week.range)).await?;
            // The summary's previous range has the week's length; across a daylight-saving
            // change that is not the local week before, which is then asked for itself. (The
            // rising terms keep comparing with as many hours before: one hour is no matter there.)
            let before = if same(summary.previous_range, week.previous) {
                summary.previous
            } else {
                insights::summary(db, project, &reference, params(week.previous)).await?.current
            };
            let (now, then) = (headline(kind, &summary.current), headline(kind, &before));
            Figures {
                value: now.map(|h| h.value),
                interval: now.and_then(|h| h.interval),
                change: now.zip(then).map(|(now, then)| now.value - then.value),
                responses: summary.current.count,
            }
        }
    };
    Ok(Digest {
        survey_id: survey.id,
        survey_key: survey.key.clone(),
        period: WEEK.to_string(),
        start: week.start,
        end: week.end,
        time_zone: tz.name().to_string(),
        metric: metric_name(survey.kind).to_string(),
        value: figures.value,
        interval: figures.interval,
        change: figures.change,
        responses: figures.responses,
        rising_terms: terms.rising.into_iter().map(|Term { term, .. }| term).collect(),
        themes: themes
            .themes
            .into_iter()
            .map(|t| DigestTheme {
                impact: t.driver.map(|d| d.points(d.impact)),
                direction: t.trend.direction,
                mentions: t.mentions,
                label: t.label,
                key: t.key,
            })
            .collect(),
    })
}

/// The numbers of a digest.
#[derive(Default)]
struct Figures {
    value: Option<f64>,
    interval: Option<(f64, f64)>,
    change: Option<f64>,
    responses: u64,
}

/// A digest's name for the headline metric of `kind`.
fn metric_name(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Nps => "NPS",
        SurveyKind::Csat => "CSAT",
        SurveyKind::Ces => "CES",
        SurveyKind::Rating => "mean",
        SurveyKind::Text => "responses",
        SurveyKind::Choice => "PMF",
    }
}

fn same(a: Range, b: Range) -> bool {
    (a.from, a.to) == (b.from, b.to)
}

/// Makes the digests that are due every [`DIGEST_EVERY`], from now on until the process
/// ends. Every dispatching replica runs it; the records in `survey_digests` keep each
/// digest to one.
pub async fn run_every(db: Db) {
    let mut tick = tokio::time::interval(DIGEST_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match generate_digests(&db, Utc::now()).await {
            Ok(0) => {}
            Ok(made) => tracing::info!(made, "made survey digests"),
            Err(e) => tracing::warn!(error = %e, "making survey digests failed; trying again later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_last_week_ends_on_the_monday_before_now_in_the_zone() {
        // Monday 2025-03-10 12:00 UTC is 21:00 in Tokyo: both have the week of 3 March.
        let w = Week::last_ended(Tz::UTC, at("2025-03-10T12:00:00Z"));
        assert_eq!((w.start, w.end), ("2025-03-03".parse().unwrap(), "2025-03-10".parse().unwrap()));
        assert_eq!((w.range.from, w.range.to), (at("2025-03-03T00:00:00Z"), at("2025-03-10T00:00:00Z")));
        assert_eq!((w.previous.from, w.previous.to), (at("2025-02-24T00:00:00Z"), w.range.from));
        let tokyo = Week::last_ended(chrono_tz::Asia::Tokyo, at("2025-03-10T12:00:00Z"));
        assert_eq!(tokyo.start, w.start);
        assert_eq!(
            (tokyo.range.from, tokyo.range.to),
            (at("2025-03-02T15:00:00Z"), at("2025-03-09T15:00:00Z"))
        );
        // Sunday 20:00 in New York is already Monday in UTC, but that week has not ended there.
        let ny = Week::last_ended(chrono_tz::America::New_York, at("2025-03-10T00:30:00Z"));
        assert_eq!(ny.start, "2025-02-24".parse().unwrap());
    }

    #[test]
    fn a_week_is_due_only_once_the_delay_after_its_end_has_passed() {
        let end = at("2025-03-10T00:00:00Z");
        let delay = chrono::Duration::from_std(DIGEST_DELAY).unwrap();
        let early = Week::last_ended(Tz::UTC, end + delay - chrono::Duration::seconds(1));
        assert_eq!(early.end, "2025-03-03".parse().unwrap());
        assert_eq!(Week::last_ended(Tz::UTC, end + delay).end, "2025-03-10".parse().unwrap());
    }

    #[test]
    fn across_a_clock_change_the_previous_week_is_the_local_one() {
        // Berlin moved its clocks forward on 2025-03-30: the week of 24 March has 167 hours.
        let w = Week::last_ended(chrono_tz::Europe::Berlin, at("2025-04-01T12:00:00Z"));
        assert_eq!(w.start, "2025-03-24".parse().unwrap());
        assert_eq!((w.range.to - w.range.from).num_hours(), 167);
        assert_eq!((w.previous.to - w.previous.from).num_hours(), 168);
        assert_eq!(w.previous.from, at("2025-03-16T23:00:00Z"));
        assert!(!same(w.range.previous(), w.previous));
    }
}
