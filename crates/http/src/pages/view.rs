//! What the page shows, gathered from the insights reports themselves (the same functions
//! the JSON API answers with, so the page and the API cannot disagree), and the few
//! numbers derived for display: the headline metric with its interval, and the change.

use super::svg::Axis;
use feedbackd_core::insights::metrics::Change;
use feedbackd_core::insights::shapes::{Breakdown, Page, Summary, Terms, TimeSeries};
use feedbackd_core::insights::{self, Cursor, Filter, InsightsError, Interval, ReportParams};
use feedbackd_core::store::Db;
use feedbackd_core::store::Project;
use feedbackd_domain::{Scale, SurveyKind};
use std::sync::Arc;

/// Comments per page of the list.
pub const PAGE_SIZE: usize = 20;
/// Segments shown in the breakdown (the rest are summed in "other").
pub const BREAKDOWN_ROWS: usize = 10;
/// Rising terms shown.
pub const TERMS: usize = 10;
/// Fewest answers a breakdown row needs to show its score and bar. The page draws each
/// segment's score with a 95% interval from the normal approximation (NPS margin
/// 1.96 × σ / √n), which the usual rule of thumb trusts from about 30 answers; below that
/// the interval is too wide to compare segments, and a few identical answers give it zero
/// width: one promoter drew a full-length "NPS 100" bar that looked certain. Smaller rows
/// keep their count and share, greyed, with "too few answers".
pub const MIN_SEGMENT_ANSWERS: u64 = 30;
/// Comments the page's rising terms read per period, the newest: enough for the words that
/// move, and it keeps the page fast (the terms API reads up to ten times more).
pub const TERM_COMMENTS: i64 = 20_000;

/// What the reader asked for: the period and zone (every section), the interval and the
/// attribute of the breakdown, the filters and position of the comment list.
#[derive(Clone, Debug)]
pub struct PageOptions {
    /// The period, zone and the list's filters (band, attributes, text, …).
    pub params: ReportParams,
    pub interval: Interval,
    /// The attribute key of the breakdown (and of the segment filter).
    pub by: String,
    pub cursor: Option<Cursor>,
    /// The non-empty query parameters as given, without `cursor`: for the paging and CSV links.
    pub query: Vec<(String, String)>,
}

impl PageOptions {
    /// The period alone: the charts and headline ignore the list's filters.
    pub fn period(&self) -> ReportParams {
        ReportParams { filter: Filter::default(), ..self.params.clone() }
    }

    /// The list's parameters: the period and filters, and only answers with a comment
    /// unless the reader asked otherwise.
    pub fn listing(&self) -> ReportParams {
        let mut p = self.params.clone();
        p.filter.has_comment.get_or_insert(true);
        p
    }

    /// The value of the segment filter (`attributes.{by}`), if one is set.
    pub fn segment(&self) -> Option<&str> {
        let (_, values) = self.params.filter.attributes.iter().find(|(k, _)| *k == self.by)?;
        values.first().map(String::as_str)
    }

    /// This page's query string with `extra` parameters replacing those of the same name.
    pub fn link(&self, extra: &[(&str, &str)]) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            if !extra.iter().any(|(name, _)| name == k) {
                out.append_pair(k, v);
            }
        }
        for (k, v) in extra {
            out.append_pair(k, v);
        }
        out.finish()
    }
}

/// Every report the page shows.
pub struct ReportData {
    pub summary: Summary,
    pub series: TimeSeries,
    pub breakdown: Breakdown,
    pub terms: Terms,
    pub comments: Page,
}

/// Runs the reports the page needs, concurrently (each on its own pooled connection).
pub async fn gather(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    o: &PageOptions,
) -> Result<ReportData, InsightsError> {
    let period = o.period();
    let (summary, series, breakdown, terms, comments) = tokio::try_join!(
        insights::summary(db, project.clone(), survey, period.clone()),
        insights::timeseries(db, project.clone(), survey, o.interval, period.clone()),
        insights::breakdown(db, project.clone(), survey, o.by.clone(), 1, BREAKDOWN_ROWS, period.clone()),
        insights::terms(db, project.clone(), survey, TERMS, 2, TERM_COMMENTS, period),
        insights::list(db, project, Some(survey), o.cursor, PAGE_SIZE, o.listing()),
    )?;
    Ok(ReportData { summary, series, breakdown, terms, comments })
}

pub use feedbackd_core::insights::metrics::{headline, Headline};

/// The name of a kind's headline metric.
pub fn metric_name(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Nps => "NPS",
        SurveyKind::Csat => "CSAT",
        SurveyKind::Ces => "CES (mean effort)",
        _ => "Mean score",
    }
}

/// The axis a kind's headline metric lives on.
pub fn axis(kind: SurveyKind, scale: Scale) -> Axis {
    match kind {
        SurveyKind::Nps => Axis { min: -100.0, max: 100.0, unit: "" },
        SurveyKind::Csat => Axis { min: 0.0, max: 100.0, unit: "%" },
        _ => Axis { min: f64::from(scale.min), max: f64::from(scale.max), unit: "" },
    }
}

/// A p-value as the page prints it: three decimals, and "p < 0.001" below that, which
/// three decimals would round to a "p = 0.000" no test can give.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// The change in words: "+4.2 points, significant (p = 0.003)".
pub fn describe_change(kind: SurveyKind, change: &Change) -> String {
    let Some(delta) = change.delta else {
        return "no comparison: a period has no answers".into();
    };
    // The CSAT change is a share (0..1); the page shows percentage points.
    let delta = if kind == SurveyKind::Csat { 100.0 * delta } else { delta };
    let unit = if kind == SurveyKind::Csat { " percentage points" } else { " points" };
    let test = match &change.test {
        Some(t) if t.significant => format!("significant ({})", format_p(t.p_value)),
        Some(t) => format!("not significant ({})", format_p(t.p_value)),
        None => "not testable (too few answers or no variance)".into(),
    };
    format!("{delta:+.1}{unit}, {test}")
}

/// How to print a headline value (one decimal; CSAT with `%`).
pub fn format_value(kind: SurveyKind, v: f64) -> String {
    if kind == SurveyKind::Csat {
        format!("{v:.1}%")
    } else {
        format!("{v:.1}")
    }
}

/// The NPS band of a score, as a `report.css` class; `neutral` for other kinds.
pub fn band_class(kind: SurveyKind, score: i16) -> &'static str {
    match (kind, score) {
        (SurveyKind::Nps, 0..=6) => "detractor",
        (SurveyKind::Nps, 7..=8) => "passive",
        (SurveyKind::Nps, _) => "promoter",
        _ => "neutral",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedbackd_core::insights::metrics::{change, metrics};
    use feedbackd_core::insights::stats::ScoreCounts;

    #[test]
    fn the_nps_headline_is_the_summary_score_with_its_margin() {
        let scale = Scale { min: 0, max: 10 };
        let counts = ScoreCounts::from_scores([10, 10, 9, 7, 3]);
        let m = metrics(SurveyKind::Nps, scale, &counts);
        let h = headline(SurveyKind::Nps, &m).unwrap();
        let nps = m.nps.unwrap();
        assert_eq!(h.value, nps.score);
        assert_eq!(h.interval, Some((nps.score - nps.margin_of_error, nps.score + nps.margin_of_error)));
        assert_eq!(headline(SurveyKind::Nps, &metrics(SurveyKind::Nps, scale, &ScoreCounts::new())), None);
    }

    #[test]
    fn csat_changes_read_in_percentage_points() {
        let scale = Scale { min: 1, max: 5 };
        let now = ScoreCounts::from_scores([5, 5, 4, 1]);
        let before = ScoreCounts::from_scores([5, 1, 1, 1]);
        let text = describe_change(SurveyKind::Csat, &change(SurveyKind::Csat, scale, &now, &before));
        assert!(text.starts_with("+50.0 percentage points"), "{text}");
        assert_eq!(band_class(SurveyKind::Nps, 8), "passive");
        assert_eq!(format_value(SurveyKind::Csat, 75.0), "75.0%");
    }

    #[test]
    fn p_values_below_a_thousandth_never_print_as_zero() {
        assert_eq!(format_p(0.0), "p < 0.001");
        assert_eq!(format_p(0.000_49), "p < 0.001");
        assert_eq!(format_p(0.001), "p = 0.001");
        assert_eq!(format_p(0.0372), "p = 0.037");
    }
}
