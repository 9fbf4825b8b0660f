//! What the themes of comments do to the score, pure: for each theme the headline metric
//! among the answers whose comment mentions it against the analysed comments that do not
//! (the difference with its 95% interval, and the impact: share × difference), which
//! themes rise or fall between two periods (two-proportion z-tests of the share of
//! comments, Benjamini–Hochberg across the themes tested), and which one-word themes are
//! the same subject as a two-word one.
//!
//! "Those that do not" are the other *analysed comments*, not every answer: people who
//! write at all score differently from those who only click a score, and mixing the two
//! would credit every theme with that difference.

use super::metrics::ChangeMetric;
use super::significance::{self, ALPHA};
use super::stats::{self, Moments, ScoreCounts};
use feedbackd_domain::{Scale, SurveyKind};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// z of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A theme's effect on the headline metric.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Driver {
    /// What is compared: NPS points, the CSAT satisfied share (0..1), or the mean score.
    pub metric: ChangeMetric,
    /// The metric among answers whose comment mentions the theme.
    pub with: f64,
    /// The metric among the other analysed comments.
    pub without: f64,
    /// `with − without`.
    pub difference: f64,
    /// The difference's 95% interval (normal approximation, unequal variances).
    pub low: f64,
    pub high: f64,
    /// Share of analysed comments mentioning it × the difference: how far the theme moves
    /// the metric of the commenting answers.
    pub impact: f64,
}

impl Driver {
    /// `v` (one of this driver's figures) in the unit reports print it in: percentage
    /// points for a CSAT share, the metric's own unit otherwise.
    pub fn points(&self, v: f64) -> f64 {
        if self.metric == ChangeMetric::CsatShare {
            100.0 * v
        } else {
            v
        }
    }
}

/// The scores within the survey's scale (answers without a score count as -1 in the
/// rollups and have no metric).
fn scored(counts: &ScoreCounts, scale: Scale) -> ScoreCounts {
    let mut out = ScoreCounts::new();
    for (score, n) in counts.iter().filter(|&(s, _)| (scale.min..=scale.max).contains(&s)) {
        out.add(score, n);
    }
    out
}

/// Mean, variance and n of the per-answer quantity the survey's metric averages.
fn moments(kind: SurveyKind, scale: Scale, counts: &ScoreCounts) -> Option<Moments> {
    match kind {
        SurveyKind::Nps => counts.moments(stats::nps_points),
        SurveyKind::Csat => counts.moments(|s| if s >= scale.max - 1 { 1.0 } else { 0.0 }),
        _ => counts.moments(f64::from),
    }
}

/// The theme's driver: `mentions` are the counts per score of answers mentioning it,
/// `analysed` of every analysed comment (a superset). `None` with fewer than two scored
/// answers on either side.
pub fn driver(
    kind: SurveyKind,
    scale: Scale,
    mentions: &ScoreCounts,
    analysed: &ScoreCounts,
) -> Option<Driver> {
    let with = scored(mentions, scale);
    let mut without = ScoreCounts::new();
    for (score, n) in scored(analysed, scale).iter() {
        without.add(score, n.saturating_sub(with.get(score)));
    }
    let (a, b) = (moments(kind, scale, &with)?, moments(kind, scale, &without)?);
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let difference = a.mean - b.mean;
    let se = (a.variance / a.n as f64 + b.variance / b.n as f64).sqrt();
    let share = a.n as f64 / (a.n + b.n) as f64;
    let metric = match kind {
        SurveyKind::Nps => ChangeMetric::Nps,
        SurveyKind::Csat => ChangeMetric::CsatShare,
        _ => ChangeMetric::Mean,
    };
    Some(Driver {
        metric,
        with: a.mean,
        without: b.mean,
        difference,
        low: difference - Z95 * se,
        high: difference + Z95 * se,
        impact: share * difference,
    })
}

/// Whether a theme is mentioned more or less often than in the previous period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Rising,
    Falling,
    /// No change that survives the correction for the number of themes tested.
    Steady,
}

/// A theme's change in share between two periods.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Trend {
    pub direction: Direction,
    /// The two-proportion z statistic (share now vs share before); absent when undefined.
    #[schema(required)]
    pub z: Option<f64>,
    /// Its two-sided p-value.
    #[schema(required)]
    pub p_value: Option<f64>,
    /// The Benjamini–Hochberg adjusted p-value over every theme tested in the report: a
    /// theme is rising or falling when it is below 0.05 (the false discovery rate).
    #[schema(required)]
    pub q_value: Option<f64>,
}

/// Tests each theme's share now (`k_now` of `n_now` comments) against before, and adjusts
/// the p-values for the number of themes tested (Benjamini–Hochberg).
pub fn trends(tests: &[(u64, u64, u64, u64)]) -> Vec<Trend> {
    let results: Vec<_> =
        tests.iter().map(|&(k1, n1, k2, n2)| significance::two_proportion(k1, n1, k2, n2)).collect();
    let p: Vec<Option<f64>> = results.iter().map(|r| r.as_ref().map(|r| r.p_value)).collect();
    let q = benjamini_hochberg(&p);
    results
        .iter()
        .zip(q)
        .map(|(r, q)| {
            let z = r.as_ref().map(|r| r.statistic);
            let direction = match (z, q) {
                (Some(z), Some(q)) if q < ALPHA && z > 0.0 => Direction::Rising,
                (Some(z), Some(q)) if q < ALPHA && z < 0.0 => Direction::Falling,
                _ => Direction::Steady,
            };
            Trend { direction, z, p_value: r.as_ref().map(|r| r.p_value), q_value: q }
        })
        .collect()
}

/// Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1); undefined tests
/// are not counted among those tested.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut order: Vec<(usize, f64)> = p.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))).collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1));
    let m = order.len() as f64;
    let mut out = vec![None; p.len()];
    let mut running = 1.0_f64;
    for (rank, &(i, p)) in order.iter().enumerate().rev() {
        running = running.min(p * m / (rank + 1) as f64);
        out[i] = Some(running.min(1.0));
    }
    out
}

/// Share of a one-word theme's mentions from which it is shown as the two-word theme that
/// contains it ("dark" inside "dark mode").
pub const FOLD_SHARE: f64 = 0.8;

/// For each one-word key whose mentions come mostly (≥ [`FOLD_SHARE`]) with one two-word
/// key containing it, that key: the two are one subject, shown once. Keys are stems
/// separated by spaces; `counts` are mentions.
pub fn near_duplicates(counts: &HashMap<String, u64>) -> HashMap<String, String> {
    let mut best: HashMap<&str, (&str, u64)> = HashMap::new();
    for (key, &n) in counts {
        if let Some((first, second)) = key.split_once(' ') {
            for word in [first, second] {
                let entry = best.entry(word).or_insert((key.as_str(), 0));
                if n > entry.1 || (n == entry.1 && key.as_str() < entry.0) {
                    *entry = (key.as_str(), n);
                }
            }
        }
    }
    counts
        .iter()
        .filter(|(key, _)| !key.contains(' '))
        .filter_map(|(key, &n)| {
            let &(phrase, m) = best.get(key.as_str())?;
            (n > 0 && m as f64 >= FOLD_SHARE * n as f64).then(|| (key.clone(), phrase.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nps_counts(promoters: u64, passives: u64, detractors: u64) -> ScoreCounts {
        let mut c = ScoreCounts::new();
        c.add(10, promoters);
        c.add(8, passives);
        c.add(2, detractors);
        c
    }

    #[test]
    fn driver_compares_mentions_with_the_other_comments() {
        let nps = Scale { min: 0, max: 10 };
        let mentions = nps_counts(80, 10, 10); // NPS +70
        let mut analysed = nps_counts(80 + 30, 10 + 40, 10 + 30); // others: 30/40/30 → 0
        analysed.add(-1, 5); // answers without a score have no metric
        let d = driver(SurveyKind::Nps, nps, &mentions, &analysed).unwrap();
        assert!((d.with - 70.0).abs() < 1e-9 && d.without.abs() < 1e-9);
        assert!((d.difference - 70.0).abs() < 1e-9);
        assert!(d.low < 70.0 && d.high > 70.0 && d.low > 50.0, "{d:?}");
        assert!((d.impact - 35.0).abs() < 1e-9, "half the comments × 70");
        assert!(driver(SurveyKind::Nps, nps, &nps_counts(1, 0, 0), &analysed).is_none());
    }

    #[test]
    fn benjamini_hochberg_matches_the_textbook_example() {
        // p = .01 .04 .03 .005 and one undefined: m = 4.
        let q = benjamini_hochberg(&[Some(0.01), Some(0.04), Some(0.03), Some(0.005), None]);
        let q: Vec<f64> = q.iter().map(|q| q.map_or(-1.0, |q| (q * 1e4).round() / 1e4)).collect();
        assert_eq!(q, [0.02, 0.04, 0.04, 0.02, -1.0]);
    }

    #[test]
    fn trends_need_to_survive_the_correction() {
        let t = trends(&[(60, 200, 20, 200), (20, 200, 60, 200), (21, 200, 20, 200)]);
        assert_eq!(t[0].direction, Direction::Rising);
        assert_eq!(t[1].direction, Direction::Falling);
        assert_eq!(t[2].direction, Direction::Steady);
        assert!(t[0].q_value.unwrap() >= t[0].p_value.unwrap());
    }

    #[test]
    fn a_word_mostly_inside_a_phrase_is_that_phrase() {
        let counts: HashMap<String, u64> =
            [("dark mode", 90), ("dark", 100), ("mode", 95), ("login", 50), ("login page", 10)]
                .into_iter()
                .map(|(k, n)| (k.to_string(), n))
                .collect();
        let folded = near_duplicates(&counts);
        assert_eq!(folded.get("dark").map(String::as_str), Some("dark mode"));
        assert_eq!(folded.get("mode").map(String::as_str), Some("dark mode"));
        assert_eq!(folded.get("login"), None, "10 of 50 mentions come with \"login page\"");
        assert_eq!(folded.len(), 2);
    }
}
