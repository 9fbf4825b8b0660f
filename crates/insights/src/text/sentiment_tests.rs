//! Each rule against the figure the Python reference gives for the same sentence
//! (`vaderSentiment` 3.3.2, `polarity_scores`, which rounds compound to 4 places).

use super::*;

fn compound(text: &str) -> f64 {
    (polarity(text).compound * 1e4).round() / 1e4
}

#[test]
fn scores_a_plain_positive_sentence_as_the_reference_does() {
    let p = polarity("The book was good.");
    assert_eq!(compound("The book was good."), 0.4404);
    assert!((p.pos - 0.492).abs() < 5e-4 && (p.neu - 0.508).abs() < 5e-4 && p.neg == 0.0);
}

#[test]
fn negation_flips_and_damps_the_word_after_it() {
    assert_eq!(compound("The book was not good."), -0.3412);
}

#[test]
fn a_booster_raises_and_a_dampener_lowers_intensity() {
    assert_eq!(compound("The book was very good."), 0.4927);
    assert_eq!(compound("The book was barely good."), 0.3832);
}

#[test]
fn but_shifts_weight_to_the_clause_after_it() {
    assert_eq!(compound("The plot was good, but the characters are uncompelling."), -0.1027);
}

#[test]
fn but_rescales_equal_sentiments_as_the_reference_does() {
    // The reference rescales the first equal value each time: a quirk kept for parity.
    assert_eq!(compound("good good but good"), 0.775);
}

#[test]
fn all_caps_among_lower_case_words_adds_emphasis() {
    assert_eq!(compound("The book was GOOD, really."), 0.5622);
}

#[test]
fn exclamation_and_question_marks_add_emphasis() {
    assert_eq!(compound("The book was good!!!"), 0.5826);
    assert_eq!(compound("The book was good???"), 0.533);
}

#[test]
fn emoji_and_emoticons_carry_sentiment() {
    assert_eq!(compound("Catch utf-8 emoji such as 💘 and 💋 and 😁"), 0.875);
    assert_eq!(compound("Make sure you :) or :D today!"), 0.8633);
}

#[test]
fn least_negates_except_in_at_least() {
    let text = "Roger Dodger is one of the least compelling variations on this theme.";
    assert_eq!(compound(text), -0.1695);
}

#[test]
fn idioms_and_never_this_are_special_cases() {
    assert_eq!(compound("Without a doubt, excellent idea."), 0.7013);
    assert_eq!(compound("VADER is such a badass!"), 0.4003);
    assert_eq!(compound("Sentiment analysis has never been this good!"), 0.5672);
}

#[test]
fn empty_text_scores_zero() {
    assert_eq!(polarity("   "), Polarity::default());
}

#[test]
fn tone_uses_the_standard_thresholds() {
    assert_eq!(Tone::of(0.05), Tone::Positive);
    assert_eq!(Tone::of(0.049), Tone::Neutral);
    assert_eq!(Tone::of(-0.05), Tone::Negative);
}
