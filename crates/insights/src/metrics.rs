//! The metrics of one group of answers, and the change between two periods.

use super::significance::{self, TestResult};
use super::stats::{self, Ces, Csat, Nps, ScoreCount, ScoreCounts};
use feedbackd_domain::{Scale, SurveyKind};
use serde::Serialize;
use utoipa::ToSchema;

/// Everything reported about one group of answers.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Metrics {
    /// Answers with a score.
    pub count: u64,
    /// Mean score; absent without answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub mean: Option<f64>,
    /// NPS surveys with answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub nps: Option<Nps>,
    /// CSAT surveys with answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub csat: Option<Csat>,
    /// CES surveys with answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ces: Option<Ces>,
    /// Answers per score over the whole scale, zeros included.
    pub distribution: Vec<ScoreCount>,
}

/// The metrics of `counts` for a survey of `kind` on `scale`.
pub fn metrics(kind: SurveyKind, scale: Scale, counts: &ScoreCounts) -> Metrics {
    Metrics {
        count: counts.total(),
        mean: counts.moments(f64::from).map(|m| m.mean),
        nps: (kind == SurveyKind::Nps).then(|| stats::nps(counts)).flatten(),
        csat: (kind == SurveyKind::Csat).then(|| stats::csat(counts, scale.max)).flatten(),
        ces: (kind == SurveyKind::Ces).then(|| stats::ces(counts)).flatten(),
        distribution: stats::distribution(counts, scale.min, scale.max),
    }
}

/// A survey's headline figure: the NPS, the CSAT satisfied share in percent, the mean
/// effort (CES) or the mean score (ratings), with its 95% interval where one is defined.
/// What a report page leads with and a digest sends, so both say the same number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Headline {
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

/// The headline of `m` for a survey of `kind`; `None` without answers (and for text
/// surveys, which have no scores).
pub fn headline(kind: SurveyKind, m: &Metrics) -> Option<Headline> {
    match kind {
        SurveyKind::Nps => m.nps.as_ref().map(|n| Headline {
            value: n.score,
            interval: Some((n.score - n.margin_of_error, n.score + n.margin_of_error)),
        }),
        SurveyKind::Csat => m.csat.as_ref().map(|c| Headline {
            value: 100.0 * c.satisfied_share,
            interval: Some((100.0 * c.satisfied_interval.low, 100.0 * c.satisfied_interval.high)),
        }),
        SurveyKind::Ces => m.ces.as_ref().map(|c| Headline {
            value: c.mean,
            interval: c.mean_standard_error.map(|se| (c.mean - stats::Z95 * se, c.mean + stats::Z95 * se)),
        }),
        SurveyKind::Rating => m.mean.map(|mean| Headline { value: mean, interval: None }),
        // A choice survey's headline is its questions' (the PMF score), not a score's.
        SurveyKind::Text | SurveyKind::Choice => None,
    }
}

/// How the headline metric moved from the previous period, and whether that is more than
/// chance would do.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Change {
    /// Answers now minus answers before.
    pub count: i64,
    pub metric: ChangeMetric,
    /// Now minus before, in the unit of `metric`; null when a period has no answers.
    #[schema(required)]
    pub delta: Option<f64>,
    /// The test of "no change"; null when it is undefined (too few answers, no variance).
    #[schema(required)]
    pub test: Option<TestResult>,
}

/// What a change measures, by survey kind: `nps` (NPS points), `csat_share` (the share
/// of satisfied CSAT answers, 0..1) or `mean` (the mean score of CES and ratings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeMetric {
    Nps,
    CsatShare,
    Mean,
}

/// The change from `before` to `now`. NPS: Welch's t-test on the per-answer ±100/0 score;
/// CSAT: two-proportion z-test on the satisfied share; CES and ratings: Welch's t-test on
/// the mean score.
pub fn change(kind: SurveyKind, scale: Scale, now: &ScoreCounts, before: &ScoreCounts) -> Change {
    let count = now.total() as i64 - before.total() as i64;
    match kind {
        SurveyKind::Nps => {
            let delta = stats::nps(now).zip(stats::nps(before)).map(|(a, b)| a.score - b.score);
            let test = now
                .moments(stats::nps_points)
                .zip(before.moments(stats::nps_points))
                .and_then(|(a, b)| significance::welch(&a, &b));
            Change { count, metric: ChangeMetric::Nps, delta, test }
        }
        SurveyKind::Csat => {
            let top = |c: &ScoreCounts| c.count_where(|s| s >= scale.max - 1);
            let (n1, n2) = (now.total(), before.total());
            let delta =
                (n1 > 0 && n2 > 0).then(|| top(now) as f64 / n1 as f64 - top(before) as f64 / n2 as f64);
            let test = significance::two_proportion(top(now), n1, top(before), n2);
            Change { count, metric: ChangeMetric::CsatShare, delta, test }
        }
        _ => {
            let (a, b) = (now.moments(f64::from), before.moments(f64::from));
            let delta = a.zip(b).map(|(a, b)| a.mean - b.mean);
            let test = a.zip(b).and_then(|(a, b)| significance::welch(&a, &b));
            Change { count, metric: ChangeMetric::Mean, delta, test }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_change_uses_welch_on_points() {
        let scale = Scale { min: 0, max: 10 };
        let now =
            ScoreCounts::from_scores(std::iter::repeat(10).take(300).chain(std::iter::repeat(3).take(100)));
        let before =
            ScoreCounts::from_scores(std::iter::repeat(10).take(100).chain(std::iter::repeat(3).take(300)));
        let c = change(SurveyKind::Nps, scale, &now, &before);
        assert_eq!(c.delta, Some(100.0));
        let test = c.test.unwrap();
        assert_eq!(test.test, significance::SignificanceTest::WelchT);
        assert!(test.significant);
    }

    #[test]
    fn headlines_are_nps_points_csat_percent_and_mean_effort() {
        let nps =
            metrics(SurveyKind::Nps, Scale { min: 0, max: 10 }, &ScoreCounts::from_scores([10, 10, 3, 8]));
        let h = headline(SurveyKind::Nps, &nps).unwrap();
        let moe = nps.nps.as_ref().unwrap().margin_of_error;
        assert_eq!((h.value, h.interval), (25.0, Some((25.0 - moe, 25.0 + moe))));
        let scale = Scale { min: 1, max: 5 };
        let csat = metrics(SurveyKind::Csat, scale, &ScoreCounts::from_scores([5, 4, 2, 1]));
        let h = headline(SurveyKind::Csat, &csat).unwrap();
        let i = csat.csat.as_ref().unwrap().satisfied_interval;
        assert_eq!((h.value, h.interval), (50.0, Some((100.0 * i.low, 100.0 * i.high))));
        let ces = metrics(SurveyKind::Ces, Scale { min: 1, max: 7 }, &ScoreCounts::from_scores([2, 4]));
        let h = headline(SurveyKind::Ces, &ces).unwrap();
        let se = ces.ces.as_ref().unwrap().mean_standard_error.unwrap();
        assert_eq!((h.value, h.interval), (3.0, Some((3.0 - stats::Z95 * se, 3.0 + stats::Z95 * se))));
        let rating = metrics(SurveyKind::Rating, scale, &ScoreCounts::from_scores([4, 5]));
        assert_eq!(headline(SurveyKind::Rating, &rating), Some(Headline { value: 4.5, interval: None }));
        assert_eq!(headline(SurveyKind::Nps, &metrics(SurveyKind::Nps, scale, &ScoreCounts::new())), None);
    }

    #[test]
    fn empty_periods_have_no_delta() {
        let scale = Scale { min: 1, max: 5 };
        let c = change(SurveyKind::Csat, scale, &ScoreCounts::new(), &ScoreCounts::from_scores([5]));
        assert_eq!((c.delta, c.test), (None, None));
        assert_eq!(c.count, -1);
        let m = metrics(SurveyKind::Csat, scale, &ScoreCounts::new());
        assert_eq!(m.distribution.len(), 5);
        assert!(m.csat.is_none());
    }

    /// The JSON paths of the nulls in `v`: serde_json writes a NaN or infinite f64 as null.
    fn nulls(v: &serde_json::Value, path: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Null => out.push(path),
            serde_json::Value::Array(items) => {
                items.iter().enumerate().for_each(|(i, x)| nulls(x, format!("{path}/{i}"), out))
            }
            serde_json::Value::Object(map) => {
                map.iter().for_each(|(k, x)| nulls(x, format!("{path}/{k}"), out))
            }
            _ => {}
        }
    }

    proptest::proptest! {
        /// The schemas call every number a number: none may come out NaN (null on the wire).
        /// Only the fields documented as nullable are null, and only when they are undefined.
        #[test]
        fn reported_numbers_are_never_nan(
            kind in proptest::sample::select(vec![SurveyKind::Nps, SurveyKind::Csat, SurveyKind::Ces, SurveyKind::Rating]),
            now in proptest::collection::vec(0i16..=10, 0..40),
            before in proptest::collection::vec(0i16..=10, 0..40),
        ) {
            let scale = kind.default_scale().unwrap();
            let clamp = |v: Vec<i16>| ScoreCounts::from_scores(v.into_iter().map(|s| s.clamp(scale.min, scale.max)));
            let (now, before) = (clamp(now), clamp(before));
            let report = serde_json::json!({
                "now": metrics(kind, scale, &now),
                "before": metrics(kind, scale, &before),
                "change": change(kind, scale, &now, &before),
            });
            let mut found = Vec::new();
            nulls(&report, String::new(), &mut found);
            let nullable = ["/change/delta", "/change/test", "/now/csat/mean_standard_error",
                "/now/ces/mean_standard_error", "/before/csat/mean_standard_error", "/before/ces/mean_standard_error"];
            proptest::prop_assert!(found.iter().all(|p| nullable.contains(&p.as_str())), "{found:?} in {report}");
        }
    }
}
