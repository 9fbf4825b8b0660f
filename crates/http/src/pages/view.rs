//! What the page shows, gathered from the insights reports themselves (the same functions
//! the JSON API answers with, so the page and the API cannot disagree), and the few
//! numbers derived for display: the headline metric with its interval, and the change.

use super::svg::Axis;
use crate::ApiError;
use feedbackd_core::insights::metrics::Change;
use feedbackd_core::insights::shapes::{Breakdown, Page, Range, Summary, Terms, TimeSeries};
use feedbackd_core::insights::{
    self, Cursor, Filter, Interval, QuestionsReport, ReportParams, ThemeOrder, ThemeQuery, ThemesReport,
};
use feedbackd_core::manage::{self, SurveyView};
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
    /// The period, and the answer filters (`answers.KEY`), which narrow the whole page (the
    /// Questions section's links set them: "NPS among those who chose *price*"); the
    /// charts and headline ignore the list's other filters.
    pub fn period(&self) -> ReportParams {
        let filter = Filter { answers: self.params.filter.answers.clone(), ..Filter::default() };
        ReportParams { filter, ..self.params.clone() }
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
        self.link_without(|k| extra.iter().any(|(name, _)| *name == k), extra)
    }

    /// This page's query string less the parameters `drop` names, plus `extra`.
    fn link_without(&self, drop: impl Fn(&str) -> bool, extra: &[(&str, &str)]) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            if !drop(k) {
                out.append_pair(k, v);
            }
        }
        for (k, v) in extra {
            out.append_pair(k, v);
        }
        out.finish()
    }

    /// The query parameters that filter by an answer, as given (`answers.KEY` or
    /// `answers[KEY]`), with the question's key.
    pub fn answer_params(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.query.iter().filter_map(|(k, v)| Some((k.as_str(), answer_key(k)?, v.as_str())))
    }

    /// This page's query string filtered by `option` of question `key` instead of any
    /// other option of it (other questions' filters stay: they narrow further).
    pub fn link_to_answer(&self, key: &str, option: &str) -> String {
        let name = format!("answers.{key}");
        self.link_without(|k| answer_key(k) == Some(key), &[(&name, option)])
    }

    /// This page's query string without any answer filter.
    pub fn link_without_answers(&self) -> String {
        self.link_without(|k| answer_key(k).is_some(), &[])
    }
}

/// The question key of an answer filter's parameter name (`answers.KEY` or `answers[KEY]`,
/// as the read API takes it).
fn answer_key(name: &str) -> Option<&str> {
    name.strip_prefix("answers.")
        .or_else(|| name.strip_prefix("answers[").and_then(|k| k.strip_suffix(']')))
        .filter(|k| !k.is_empty())
}

/// Every report the page shows.
pub struct ReportData {
    /// The survey's definition: its kind, its question, its questions' texts and labels.
    pub survey: SurveyView,
    /// The period every section covers.
    pub range: Range,
    /// The score's sections; `None` for a choice survey, which has no score.
    pub scores: Option<Scores>,
    /// The `insights::questions` report, when the survey has questions.
    pub questions: Option<QuestionsReport>,
    pub terms: Terms,
    /// The themes of the period's comments; `None` before any was analysed.
    pub themes: Option<ThemesReport>,
    pub comments: Page,
}

/// The reports of a survey's score.
pub struct Scores {
    pub summary: Summary,
    pub series: TimeSeries,
    pub breakdown: Breakdown,
}

/// Whether a survey of `kind` has a score (a choice or text survey has none).
pub fn scored(kind: SurveyKind) -> bool {
    !matches!(kind, SurveyKind::Choice | SurveyKind::Text)
}

/// Whether the page has something to report of `survey`: a score, or questions (a choice
/// survey always has its main one). A text survey without questions has neither; its
/// comments are in the read API.
pub fn has_report(survey: &SurveyView) -> bool {
    scored(survey.kind) || !survey.questions.is_empty()
}

/// Runs the reports the page needs, concurrently (each on its own pooled connection). The
/// survey's definition says which figures there are (a choice survey has no score to
/// summarise); the terms and the comments need not wait for it.
pub async fn gather(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    o: &PageOptions,
) -> Result<ReportData, ApiError> {
    let period = o.period();
    let figures = async {
        let definition = manage::get_survey(db, project.id, survey).await?;
        if !has_report(&definition) {
            return Err(ApiError::from(insights::InsightsError::invalid(
                "survey",
                "is a text survey without questions: it has nothing to chart (see /terms and /v1/responses)",
            )));
        }
        let scores = async {
            if !scored(definition.kind) {
                return Ok(None);
            }
            let (summary, series, breakdown) = tokio::try_join!(
                insights::summary(db, project.clone(), survey, period.clone()),
                insights::timeseries(db, project.clone(), survey, o.interval, period.clone()),
                insights::breakdown(
                    db,
                    project.clone(),
                    survey,
                    o.by.clone(),
                    1,
                    BREAKDOWN_ROWS,
                    period.clone()
                ),
            )?;
            Ok(Some(Scores { summary, series, breakdown }))
        };
        let questions = async {
            if definition.questions.is_empty() {
                return Ok(None);
            }
            insights::questions(db, project.clone(), survey, period.clone()).await.map(Some)
        };
        let (scores, questions) = tokio::try_join!(scores, questions)?;
        Ok((definition, scores, questions))
    };
    let themes = ThemeQuery {
        limit: super::themes::THEMES,
        min_count: super::themes::MIN_MENTIONS,
        order: ThemeOrder::Impact,
        include_hidden: false,
        series: Some(o.interval),
    };
    let ((definition, scores, questions), terms, themes, comments) = tokio::try_join!(
        figures,
        async {
            Ok(insights::terms(db, project.clone(), survey, TERMS, 2, TERM_COMMENTS, period.clone()).await?)
        },
        async {
            let report = insights::themes(db, project.clone(), survey, themes, period.clone()).await?;
            Ok::<_, ApiError>((report.comments + report.pending_comments > 0).then_some(report))
        },
        async {
            Ok(insights::list(db, project.clone(), Some(survey), o.cursor, PAGE_SIZE, o.listing()).await?)
        },
    )?;
    Ok(ReportData {
        survey: definition,
        range: period.report_range(),
        scores,
        questions,
        terms,
        themes,
        comments,
    })
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
    fn an_option_link_replaces_its_questions_filter_in_either_spelling_and_keeps_the_rest() {
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let o = PageOptions {
            params: ReportParams {
                from: None,
                to: chrono::Utc::now(),
                tz: chrono_tz::Tz::UTC,
                filter: Filter::default(),
            },
            interval: Interval::Day,
            by: "platform".into(),
            cursor: None,
            query: q(&[
                ("tz", "UTC"),
                ("answers[reason]", "bugs"),
                ("answers.areas", "web"),
                ("answers.", "x"),
            ]),
        };
        let keys: Vec<&str> = o.answer_params().map(|(_, key, _)| key).collect();
        assert_eq!(keys, ["reason", "areas"]);
        assert_eq!(
            o.link_to_answer("reason", "price"),
            "tz=UTC&answers.areas=web&answers.=x&answers.reason=price"
        );
        assert_eq!(
            o.link_to_answer("areas", "a&b"),
            "tz=UTC&answers%5Breason%5D=bugs&answers.=x&answers.areas=a%26b"
        );
        assert_eq!(o.link_without_answers(), "tz=UTC&answers.=x");
    }

    #[test]
    fn p_values_below_a_thousandth_never_print_as_zero() {
        assert_eq!(format_p(0.0), "p < 0.001");
        assert_eq!(format_p(0.000_49), "p < 0.001");
        assert_eq!(format_p(0.001), "p = 0.001");
        assert_eq!(format_p(0.0372), "p = 0.037");
    }
}
