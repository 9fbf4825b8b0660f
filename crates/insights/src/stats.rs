//! Counts per score — the sufficient statistics of every metric — and the metrics made
//! from them: NPS, CSAT, CES, means, and their 95% intervals.

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// How many answers had each score. Everything reported is a function of this.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScoreCounts(BTreeMap<i16, u64>);

impl ScoreCounts {
    /// No answers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a list of scores.
    pub fn from_scores(scores: impl IntoIterator<Item = i16>) -> Self {
        let mut counts = Self::new();
        for s in scores {
            counts.add(s, 1);
        }
        counts
    }

    /// Adds `n` answers of `score`.
    pub fn add(&mut self, score: i16, n: u64) {
        if n > 0 {
            *self.0.entry(score).or_default() += n;
        }
    }

    /// Adds a count read from the database; sums of rollup rows are never negative, and a
    /// negative one (impossible) is ignored rather than wrapped.
    pub fn add_signed(&mut self, score: i16, n: i64) {
        self.add(score, u64::try_from(n).unwrap_or(0));
    }

    /// Adds every count of `other`: counting parts and merging equals counting the whole.
    pub fn merge(&mut self, other: &ScoreCounts) {
        for (&s, &n) in &other.0 {
            self.add(s, n);
        }
    }

    /// Answers with `score`.
    pub fn get(&self, score: i16) -> u64 {
        self.0.get(&score).copied().unwrap_or(0)
    }

    /// All answers.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Answers whose score satisfies `pred`.
    pub fn count_where(&self, pred: impl Fn(i16) -> bool) -> u64 {
        self.0.iter().filter(|(&s, _)| pred(s)).map(|(_, &n)| n).sum()
    }

    /// (score, count) pairs in score order, non-zero only.
    pub fn iter(&self) -> impl Iterator<Item = (i16, u64)> + '_ {
        self.0.iter().map(|(&s, &n)| (s, n))
    }

    /// Mean and sample variance of `f(score)` over the answers.
    pub fn moments(&self, f: impl Fn(i16) -> f64) -> Option<Moments> {
        let n = self.total();
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let mean = self.iter().map(|(s, c)| f(s) * c as f64).sum::<f64>() / nf;
        let ss = self.iter().map(|(s, c)| (f(s) - mean).powi(2) * c as f64).sum::<f64>();
        let variance = if n > 1 { ss / (nf - 1.0) } else { 0.0 };
        Some(Moments { n, mean, variance })
    }
}

/// Mean and sample variance of a per-answer quantity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    /// Sample variance (n − 1 in the denominator; 0 for one answer).
    pub variance: f64,
}

impl Moments {
    /// Standard error of the mean; `None` for a single answer.
    pub fn standard_error(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.variance / self.n as f64).sqrt())
    }
}

/// One score and how many answers had it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScoreCount {
    pub score: i16,
    /// Answers with `score`.
    pub count: u64,
}

/// The distribution over the whole scale, zeros included.
pub fn distribution(counts: &ScoreCounts, min: i16, max: i16) -> Vec<ScoreCount> {
    (min..=max).map(|score| ScoreCount { score, count: counts.get(score) }).collect()
}

/// Net Promoter Score and its parts.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Nps {
    /// 100 × (promoters − detractors) / answers, in −100..=100.
    pub score: f64,
    /// Answers of 9 or 10.
    pub promoters: u64,
    /// Answers of 7 or 8.
    pub passives: u64,
    /// Answers of 0 to 6.
    pub detractors: u64,
    /// Promoters ÷ answers.
    pub promoter_share: f64,
    /// Passives ÷ answers.
    pub passive_share: f64,
    /// Detractors ÷ answers.
    pub detractor_share: f64,
    /// Half-width of the 95% interval, in NPS points.
    pub margin_of_error: f64,
}

/// The per-answer NPS contribution: promoters +100, passives 0, detractors −100. Its mean
/// is the NPS, so tests on means apply to NPS.
pub fn nps_points(score: i16) -> f64 {
    match score {
        9.. => 100.0,
        7..=8 => 0.0,
        _ => -100.0,
    }
}

/// NPS of 0–10 answers; `None` without answers.
pub fn nps(counts: &ScoreCounts) -> Option<Nps> {
    let n = counts.total();
    if n == 0 {
        return None;
    }
    let promoters = counts.count_where(|s| s >= 9);
    let detractors = counts.count_where(|s| s <= 6);
    let passives = n - promoters - detractors;
    let nf = n as f64;
    let (pp, pd) = (promoters as f64 / nf, detractors as f64 / nf);
    let variance = (pp + pd - (pp - pd).powi(2)).max(0.0);
    Some(Nps {
        score: 100.0 * (pp - pd),
        promoters,
        passives,
        detractors,
        promoter_share: pp,
        passive_share: passives as f64 / nf,
        detractor_share: pd,
        margin_of_error: Z95 * 100.0 * (variance / nf).sqrt(),
    })
}

// Not `Interval`: that is a time series' bucket length ([`crate::Interval`]).
/// A 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct ConfidenceInterval {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

/// Wilson score interval for `successes` out of `n` at normal quantile `z`.
pub fn wilson(successes: u64, n: u64, z: f64) -> Option<ConfidenceInterval> {
    if n == 0 || successes > n {
        return None;
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let center = (p + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Some(ConfidenceInterval { low: (center - half).max(0.0), high: (center + half).min(1.0) })
}

/// CSAT: the share of satisfied answers (top two points of the scale) and the mean.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Csat {
    /// Answers on the top two points of the scale.
    pub satisfied: u64,
    /// Satisfied ÷ answers.
    pub satisfied_share: f64,
    /// Wilson 95% interval of `satisfied_share`.
    pub satisfied_interval: ConfidenceInterval,
    /// Mean score.
    pub mean: f64,
    /// Standard error of `mean`; null for a single answer.
    #[schema(required)]
    pub mean_standard_error: Option<f64>,
}

/// CSAT on a scale whose highest point is `max`; `None` without answers.
pub fn csat(counts: &ScoreCounts, max: i16) -> Option<Csat> {
    let n = counts.total();
    let moments = counts.moments(f64::from)?;
    let satisfied = counts.count_where(|s| s >= max - 1);
    Some(Csat {
        satisfied,
        satisfied_share: satisfied as f64 / n as f64,
        satisfied_interval: wilson(satisfied, n, Z95)?,
        mean: moments.mean,
        mean_standard_error: moments.standard_error(),
    })
}

/// CES: mean effort and the share of answers at 5 or above.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Ces {
    /// Mean score.
    pub mean: f64,
    /// Standard error of `mean`; null for a single answer.
    #[schema(required)]
    pub mean_standard_error: Option<f64>,
    /// Answers of 5 or above.
    pub at_least_5: u64,
    /// `at_least_5` ÷ answers.
    pub at_least_5_share: f64,
}

/// CES of 1–7 answers; `None` without answers.
pub fn ces(counts: &ScoreCounts) -> Option<Ces> {
    let moments = counts.moments(f64::from)?;
    let at_least_5 = counts.count_where(|s| s >= 5);
    Some(Ces {
        mean: moments.mean,
        mean_standard_error: moments.standard_error(),
        at_least_5,
        at_least_5_share: at_least_5 as f64 / moments.n as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn wilson_interval_matches_the_published_value_for_81_of_263() {
        let i = wilson(81, 263, Z95).unwrap();
        assert!(close(i.low, 0.2553, 5e-5), "{i:?}");
        assert!(close(i.high, 0.3662, 5e-5), "{i:?}");
    }

    #[test]
    fn nps_of_a_known_mix() {
        // 5 promoters, 3 passives, 2 detractors: NPS 30.
        let c = ScoreCounts::from_scores([10, 9, 9, 10, 9, 8, 7, 7, 3, 0]);
        let n = nps(&c).unwrap();
        assert_eq!((n.promoters, n.passives, n.detractors), (5, 3, 2));
        assert!(close(n.score, 30.0, 1e-9));
        // margin = 1.96 * 100 * sqrt((0.5 + 0.2 - 0.09) / 10)
        assert!(close(n.margin_of_error, Z95 * 100.0 * (0.61f64 / 10.0).sqrt(), 1e-9));
        assert!(nps(&ScoreCounts::new()).is_none());
    }

    #[test]
    fn csat_counts_the_top_two_points_of_the_scale() {
        let c = ScoreCounts::from_scores([5, 4, 3, 1]);
        let s = csat(&c, 5).unwrap();
        assert_eq!(s.satisfied, 2);
        assert!(close(s.mean, 3.25, 1e-12));
        let seven = csat(&ScoreCounts::from_scores([7, 6, 5]), 7).unwrap();
        assert_eq!(seven.satisfied, 2);
    }

    #[test]
    fn ces_share_at_five_or_above() {
        let c = ScoreCounts::from_scores([7, 5, 4, 1]);
        let s = ces(&c).unwrap();
        assert_eq!(s.at_least_5, 2);
        assert!(close(s.mean, 4.25, 1e-12));
        assert_eq!(ces(&ScoreCounts::from_scores([3])).unwrap().mean_standard_error, None);
    }

    proptest! {
        #[test]
        fn nps_stays_within_bounds(scores in prop::collection::vec(0i16..=10, 1..300)) {
            let n = nps(&ScoreCounts::from_scores(scores)).unwrap();
            prop_assert!((-100.0..=100.0).contains(&n.score));
            prop_assert!(n.margin_of_error >= 0.0);
        }

        #[test]
        fn metrics_do_not_depend_on_input_order(mut scores in prop::collection::vec(0i16..=10, 1..200), seed in any::<u64>()) {
            let before = ScoreCounts::from_scores(scores.clone());
            // A deterministic shuffle from the seed.
            let len = scores.len();
            let mut state = seed | 1;
            for i in (1..len).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                scores.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let after = ScoreCounts::from_scores(scores);
            prop_assert_eq!(&before, &after);
            prop_assert_eq!(nps(&before), nps(&after));
        }

        #[test]
        fn merging_parts_equals_counting_everything(scores in prop::collection::vec(0i16..=10, 0..200), cut in 0usize..200) {
            let cut = cut.min(scores.len());
            let mut merged = ScoreCounts::from_scores(scores[..cut].iter().copied());
            merged.merge(&ScoreCounts::from_scores(scores[cut..].iter().copied()));
            let whole = ScoreCounts::from_scores(scores.iter().copied());
            prop_assert_eq!(&merged, &whole);
            prop_assert_eq!(nps(&merged), nps(&whole));
            prop_assert_eq!(csat(&merged, 10), csat(&whole, 10));
        }

        #[test]
        fn wilson_contains_the_observed_share(n in 1u64..5000, k in 0u64..5000) {
            let k = k.min(n);
            let i = wilson(k, n, Z95).unwrap();
            let p = k as f64 / n as f64;
            prop_assert!(i.low <= p + 1e-12 && p <= i.high + 1e-12);
            prop_assert!(0.0 <= i.low && i.high <= 1.0);
        }
    }
}
