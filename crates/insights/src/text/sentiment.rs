//! VADER sentiment (Hutto & Gilbert, ICWSM 2014), ported rule for rule from the Python
//! reference `vaderSentiment` 3.3.2 so that a comment scores the same here as in the tools
//! analysts already use. Parity is held by `parity_tests.rs` on a 1,200-sentence corpus.
//!
//! Where the reference has a quirk, the port keeps it (the "but" rule rescales the first
//! sentiment *equal* to each one, not each one; "kind" before "of" scores nothing): a fixed
//! quirk would be a deviation from the published scores.

use super::lexicon::{self, C_INCR, NEGATE, N_SCALAR, SPECIAL_CASES};

/// VADER's scores for one text: `compound` in -1..=1, and the shares of positive, neutral and
/// negative words, which sum to about 1. Unrounded (the reference rounds to 4 and 3 places).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Polarity {
    /// Normalised sum of the word valences; the figure to use for one number per text.
    pub compound: f64,
    /// Share of the text's weight on positive words.
    pub pos: f64,
    /// Share of the text's weight on neutral words.
    pub neu: f64,
    /// Share of the text's weight on negative words.
    pub neg: f64,
}

/// VADER's standard reading of a compound score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// compound >= 0.05
    Positive,
    /// -0.05 < compound < 0.05
    Neutral,
    /// compound <= -0.05
    Negative,
}

/// The threshold the VADER authors recommend for calling a compound score positive or
/// negative.
pub const TONE_THRESHOLD: f64 = 0.05;

impl std::str::FromStr for Tone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "positive" => Ok(Tone::Positive),
            "neutral" => Ok(Tone::Neutral),
            "negative" => Ok(Tone::Negative),
            _ => Err("must be positive, neutral or negative".into()),
        }
    }
}

impl Tone {
    /// The tone of a compound score, with the authors' thresholds (±0.05).
    pub fn of(compound: f64) -> Self {
        if compound >= TONE_THRESHOLD {
            Tone::Positive
        } else if compound <= -TONE_THRESHOLD {
            Tone::Negative
        } else {
            Tone::Neutral
        }
    }
}

/// Scores `text` as the reference's `SentimentIntensityAnalyzer.polarity_scores` does.
pub fn polarity(text: &str) -> Polarity {
    let text = replace_emoji(text);
    let text = text.trim_matches(is_py_space);
    let words: Vec<&str> = text.split(is_py_space).filter(|w| !w.is_empty()).map(strip_punct).collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let cap_diff = allcap_differential(&words);
    let ctx = Context { words: &words, lower: &lower, cap_diff };
    let mut sentiments: Vec<f64> = (0..words.len()).map(|i| ctx.valence_at(i)).collect();
    but_check(&lower, &mut sentiments);
    score(&sentiments, text)
}

/// Python's `str.split()` whitespace: Rust's plus the four ASCII separators Python counts.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.isupper()`: at least one cased character and no lower-case one.
fn is_upper(word: &str) -> bool {
    word.chars().any(char::is_uppercase) && !word.chars().any(char::is_lowercase)
}

/// Emoji become their descriptions, set off by a space from a preceding non-space.
fn replace_emoji(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_space = true;
    for c in text.chars() {
        match lexicon::emoji(c) {
            Some(description) => {
                if !prev_space {
                    out.push(' ');
                }
                out.push_str(description);
                prev_space = false;
            }
            None => {
                out.push(c);
                prev_space = c == ' ';
            }
        }
    }
    out
}

/// Strips leading and trailing ASCII punctuation unless that leaves two characters or fewer,
/// which keeps emoticons such as ":)" and short words such as "ok!" whole.
fn strip_punct(token: &str) -> &str {
    let stripped = token.trim_matches(|c: char| c.is_ascii_punctuation());
    if stripped.chars().count() <= 2 {
        token
    } else {
        stripped
    }
}

/// ALL CAPS only emphasises when some words are in caps and others are not.
fn allcap_differential(words: &[&str]) -> bool {
    let caps = words.iter().filter(|w| is_upper(w)).count();
    let differential = words.len() - caps;
    0 < differential && differential < words.len()
}

fn negated(word: &str) -> bool {
    NEGATE.contains(&word) || word.contains("n't")
}

struct Context<'a> {
    words: &'a [&'a str],
    lower: &'a [String],
    cap_diff: bool,
}

impl Context<'_> {
    fn lower(&self, i: usize) -> &str {
        &self.lower[i]
    }

    fn in_lexicon(&self, i: usize) -> bool {
        lexicon::valence(self.lower(i)).is_some()
    }

    /// The valence of word `i` after every rule that looks at its neighbours.
    fn valence_at(&self, i: usize) -> f64 {
        let item = self.lower(i);
        // Boosters and "kind" of "kind of" modify others and carry nothing themselves.
        if lexicon::booster(item).is_some()
            || (item == "kind" && i + 1 < self.words.len() && self.lower(i + 1) == "of")
        {
            return 0.0;
        }
        let Some(rated) = lexicon::valence(item) else {
            return 0.0;
        };
        let mut valence = rated;
        // "no" before a rated word negates that word rather than counting itself.
        if item == "no" && i + 1 < self.words.len() && self.in_lexicon(i + 1) {
            valence = 0.0;
        }
        if (i > 0 && self.lower(i - 1) == "no")
            || (i > 1 && self.lower(i - 2) == "no")
            || (i > 2 && self.lower(i - 3) == "no" && ["or", "nor"].contains(&self.lower(i - 1)))
        {
            valence = rated * N_SCALAR;
        }
        if is_upper(self.words[i]) && self.cap_diff {
            valence += if valence > 0.0 { C_INCR } else { -C_INCR };
        }
        for start in 0..3 {
            if i > start && !self.in_lexicon(i - (start + 1)) {
                let mut s = self.scalar_inc_dec(i - (start + 1), valence);
                // A modifier further away counts for less.
                if start == 1 && s != 0.0 {
                    s *= 0.95;
                }
                if start == 2 && s != 0.0 {
                    s *= 0.9;
                }
                valence = self.negation_check(valence + s, start, i);
                if start == 2 {
                    valence = self.special_idioms(valence, i);
                }
            }
        }
        self.least_check(valence, i)
    }

    /// The push a booster or dampener at `j` gives a word of `valence`.
    fn scalar_inc_dec(&self, j: usize, valence: f64) -> f64 {
        let Some(mut scalar) = lexicon::booster(self.lower(j)) else {
            return 0.0;
        };
        if valence < 0.0 {
            scalar = -scalar;
        }
        if is_upper(self.words[j]) && self.cap_diff {
            scalar += if valence > 0.0 { C_INCR } else { -C_INCR };
        }
        scalar
    }

    fn negation_check(&self, valence: f64, start: usize, i: usize) -> f64 {
        let w = |k: usize| self.lower(i - k);
        let so_or_this = |k: usize| w(k) == "so" || w(k) == "this";
        match start {
            0 if negated(w(1)) => valence * N_SCALAR,
            1 if w(2) == "never" && so_or_this(1) => valence * 1.25,
            1 if w(2) == "without" && w(1) == "doubt" => valence,
            1 if negated(w(2)) => valence * N_SCALAR,
            // The reference's precedence, kept: ("never" and so/this) or so/this right before.
            2 if (w(3) == "never" && so_or_this(2)) || so_or_this(1) => valence * 1.25,
            2 if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") => valence,
            2 if negated(w(3)) => valence * N_SCALAR,
            _ => valence,
        }
    }

    /// Idioms that replace the valence of the word inside them ("the bomb"), and two-word
    /// dampeners ("kind of") before it. Only called with `i >= 3`.
    fn special_idioms(&self, mut valence: f64, i: usize) -> f64 {
        let w = |k: usize| self.lower(k);
        let one_zero = format!("{} {}", w(i - 1), w(i));
        let two_one_zero = format!("{} {} {}", w(i - 2), w(i - 1), w(i));
        let two_one = format!("{} {}", w(i - 2), w(i - 1));
        let three_two_one = format!("{} {} {}", w(i - 3), w(i - 2), w(i - 1));
        let three_two = format!("{} {}", w(i - 3), w(i - 2));
        let special = |seq: &str| SPECIAL_CASES.iter().find(|(k, _)| *k == seq).map(|(_, v)| *v);
        let before = [&one_zero, &two_one_zero, &two_one, &three_two_one, &three_two];
        if let Some(v) = before.iter().find_map(|seq| special(seq)) {
            valence = v;
        }
        let n = self.words.len();
        if n - 1 > i {
            if let Some(v) = special(&format!("{} {}", w(i), w(i + 1))) {
                valence = v;
            }
        }
        if n - 1 > i + 1 {
            if let Some(v) = special(&format!("{} {} {}", w(i), w(i + 1), w(i + 2))) {
                valence = v;
            }
        }
        for n_gram in [&three_two_one, &three_two, &two_one] {
            if let Some(b) = lexicon::booster(n_gram) {
                valence += b;
            }
        }
        valence
    }

    /// "least" negates ("the least useful") except in "at least" and "very least".
    fn least_check(&self, valence: f64, i: usize) -> f64 {
        if i > 1 && !self.in_lexicon(i - 1) && self.lower(i - 1) == "least" {
            if self.lower(i - 2) != "at" && self.lower(i - 2) != "very" {
                return valence * N_SCALAR;
            }
        } else if i > 0 && !self.in_lexicon(i - 1) && self.lower(i - 1) == "least" {
            return valence * N_SCALAR;
        }
        valence
    }
}

/// "but" halves what comes before it and adds half to what comes after. As in the reference,
/// each step rescales the first sentiment equal to the current one, not the current one.
fn but_check(lower: &[String], sentiments: &mut [f64]) {
    let Some(bi) = lower.iter().position(|w| w == "but") else {
        return;
    };
    for k in 0..sentiments.len() {
        let s = sentiments[k];
        let si = sentiments.iter().position(|x| *x == s).unwrap_or(k);
        if si < bi {
            sentiments[si] = s * 0.5;
        } else if si > bi {
            sentiments[si] = s * 1.5;
        }
    }
}

/// Emphasis from "!" (up to four) and from two or more "?".
fn punctuation_emphasis(text: &str) -> f64 {
    let ep = text.matches('!').count().min(4) as f64 * 0.292;
    let qm = match text.matches('?').count() {
        0 | 1 => 0.0,
        n @ 2..=3 => n as f64 * 0.18,
        _ => 0.96,
    };
    ep + qm
}

fn score(sentiments: &[f64], text: &str) -> Polarity {
    if sentiments.is_empty() {
        return Polarity::default();
    }
    let mut sum: f64 = sentiments.iter().sum();
    let emphasis = punctuation_emphasis(text);
    if sum > 0.0 {
        sum += emphasis;
    } else if sum < 0.0 {
        sum -= emphasis;
    }
    let compound = (sum / (sum * sum + 15.0).sqrt()).clamp(-1.0, 1.0);
    // Neutral words count 1, so a rated word counts its valence plus 1.
    let (mut pos_sum, mut neg_sum, mut neu_count) = (0.0, 0.0, 0.0);
    for &s in sentiments {
        if s > 0.0 {
            pos_sum += s + 1.0;
        }
        if s < 0.0 {
            neg_sum += s - 1.0;
        }
        if s == 0.0 {
            neu_count += 1.0;
        }
    }
    if pos_sum > f64::abs(neg_sum) {
        pos_sum += emphasis;
    } else if pos_sum < f64::abs(neg_sum) {
        neg_sum -= emphasis;
    }
    let total = pos_sum + f64::abs(neg_sum) + neu_count;
    Polarity {
        compound,
        pos: f64::abs(pos_sum / total),
        neu: f64::abs(neu_count / total),
        neg: f64::abs(neg_sum / total),
    }
}

#[cfg(test)]
#[path = "sentiment_tests.rs"]
mod tests;
