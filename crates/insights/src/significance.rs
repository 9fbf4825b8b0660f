//! Whether a change between two periods is more than noise: Welch's t-test for means
//! (NPS as the mean of ±100/0 per answer, CSAT and CES means) and the two-proportion
//! z-test for shares (CSAT satisfied share). Two-sided, 5% level.

use super::stats::Moments;
use serde::Serialize;
use utoipa::ToSchema;

/// The significance level every change is judged at.
pub const ALPHA: f64 = 0.05;

/// Which test was run: `welch_t` (Welch's unequal-variance t-test of two means) or
/// `two_proportion_z` (the pooled two-proportion z-test of two shares).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignificanceTest {
    WelchT,
    TwoProportionZ,
}

/// The outcome of a two-sided test of "no change" at the 5% level.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct TestResult {
    pub test: SignificanceTest,
    /// t or z.
    pub statistic: f64,
    /// Degrees of freedom (Welch only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub degrees_of_freedom: Option<f64>,
    /// The probability of a change at least this large if there were none.
    pub p_value: f64,
    /// Whether `p_value` is below 0.05.
    pub significant: bool,
}

/// Welch's unequal-variance t-test of `a.mean == b.mean`; `None` with fewer than two
/// answers on a side or no variance at all.
pub fn welch(a: &Moments, b: &Moments) -> Option<TestResult> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return None;
    }
    let t = (a.mean - b.mean) / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
    let p = student_t_two_sided(t, df);
    Some(TestResult {
        test: SignificanceTest::WelchT,
        statistic: t,
        degrees_of_freedom: Some(df),
        p_value: p,
        significant: p < ALPHA,
    })
}

/// Pooled two-proportion z-test of `k1/n1 == k2/n2`; `None` when undefined.
pub fn two_proportion(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<TestResult> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (k1 + k2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se <= 0.0 {
        return None;
    }
    let z = (k1 as f64 / n1f - k2 as f64 / n2f) / se;
    let p = 2.0 * normal_sf(z.abs());
    Some(TestResult {
        test: SignificanceTest::TwoProportionZ,
        statistic: z,
        degrees_of_freedom: None,
        p_value: p,
        significant: p < ALPHA,
    })
}

/// P(|T| > |t|) for Student's t with `df` degrees of freedom.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0)
}

/// P(Z > z) for the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes `erfcc`, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// ln Γ(x) (Lanczos, g = 7).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized incomplete beta I_x(a, b).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-14 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_distribution_matches_tables() {
        // t = 2.228 at df = 10 is the 97.5% quantile; t = 1.96 at a huge df is normal.
        assert!((student_t_two_sided(2.228_138_85, 10.0) - 0.05).abs() < 1e-6);
        assert!((student_t_two_sided(1.959_964, 1e7) - 0.05).abs() < 1e-5);
        assert!((student_t_two_sided(0.0, 5.0) - 1.0).abs() < 1e-12);
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-6);
    }

    #[test]
    fn welch_finds_a_clear_difference_and_not_noise() {
        let a = Moments { n: 500, mean: 40.0, variance: 5000.0 };
        let b = Moments { n: 500, mean: 20.0, variance: 5000.0 };
        assert!(welch(&a, &b).unwrap().significant);
        let c = Moments { n: 20, mean: 41.0, variance: 5000.0 };
        assert!(!welch(&a, &c).unwrap().significant);
        assert!(welch(&Moments { n: 1, mean: 1.0, variance: 0.0 }, &a).is_none());
    }

    #[test]
    fn two_proportion_z_of_a_textbook_example() {
        // 45/100 vs 30/100: pooled 0.375, z = 0.15 / sqrt(0.375*0.625*0.02) = 2.1909.
        let r = two_proportion(45, 100, 30, 100).unwrap();
        assert!((r.statistic - 2.190_890_2).abs() < 1e-6, "{r:?}");
        assert!((r.p_value - 0.028_459).abs() < 1e-5, "{r:?}");
        assert!(r.significant);
    }
}
