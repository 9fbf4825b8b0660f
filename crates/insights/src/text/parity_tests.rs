//! Parity with the Python reference on the committed corpus (`tests/data/vader_corpus.txt`,
//! scored into `tests/data/vader_expected.tsv` by `scripts/vader-parity`).

use super::sentiment::polarity;

/// Share of sentences whose compound score must agree within half a unit of the reference's
/// fourth decimal, i.e. to its printed precision.
const REQUIRED_AGREEMENT: f64 = 0.99;

#[test]
fn compound_scores_agree_with_the_python_reference() {
    let corpus = include_str!("../../../../tests/data/vader_corpus.txt");
    let expected = include_str!("../../../../tests/data/vader_expected.tsv");
    let mut rows = expected.lines();
    assert_eq!(rows.next(), Some("compound\tpos\tneu\tneg"));
    let (mut total, mut compound_ok, mut all_ok) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for (sentence, row) in corpus.lines().zip(rows) {
        let want: Vec<f64> = row.split('\t').map(|f| f.parse().expect("a number")).collect();
        let got = polarity(sentence);
        total += 1;
        let compound_diff = (got.compound - want[0]).abs();
        if compound_diff < 5e-4 {
            compound_ok += 1;
        } else {
            misses.push(format!("{sentence:?}: {} vs {}", got.compound, want[0]));
        }
        let parts = [(got.pos, want[1]), (got.neu, want[2]), (got.neg, want[3])];
        if compound_diff < 5e-5 + 1e-9 && parts.iter().all(|(g, w)| (g - w).abs() < 5e-4 + 1e-9) {
            all_ok += 1;
        }
    }
    let agreement = compound_ok as f64 / total as f64;
    println!(
        "VADER parity: {compound_ok}/{total} compound within 0.0005 ({:.2} %), \
         {all_ok}/{total} equal to the reference's rounding in all four scores",
        agreement * 100.0
    );
    for miss in misses.iter().take(20) {
        println!("  differs: {miss}");
    }
    assert!(total >= 1000, "the corpus has {total} sentences");
    assert!(agreement >= REQUIRED_AGREEMENT, "agreement {agreement}");
}
