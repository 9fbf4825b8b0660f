//! VADER's word lists: the rated lexicon and the emoji descriptions shipped with the Python
//! reference (`vaderSentiment` 3.3.2, MIT, see `VADER-LICENSE.txt` beside this file), and the
//! negation and booster lists copied from its source. Kept apart from the rules so the rules
//! read as the reference does.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Rise in intensity from a booster ("very"); a dampener ("barely") is its negative.
pub(super) const B_INCR: f64 = 0.293;
/// Rise in intensity for a word in ALL CAPS among words that are not.
pub(super) const C_INCR: f64 = 0.733;
/// Factor applied to a negated word.
pub(super) const N_SCALAR: f64 = -0.74;

/// Words that negate what follows (the reference's `NEGATE`).
pub(super) const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTERS: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];

const DAMPENERS: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
];

/// Phrases whose valence replaces that of the word they contain (the reference's
/// `SPECIAL_CASES`).
pub(super) const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// The booster or dampener increment of a lower-case word or phrase, if it is one.
pub(super) fn booster(word: &str) -> Option<f64> {
    static MAP: LazyLock<HashMap<&'static str, f64>> = LazyLock::new(|| {
        let up = BOOSTERS.iter().map(|w| (*w, B_INCR));
        up.chain(DAMPENERS.iter().map(|w| (*w, -B_INCR))).collect()
    });
    MAP.get(word).copied()
}

/// The rated valence of a lower-case token, if the lexicon has it.
pub(super) fn valence(word: &str) -> Option<f64> {
    static MAP: LazyLock<HashMap<&'static str, f64>> = LazyLock::new(|| {
        let text = include_str!("vader_lexicon.txt");
        // As the reference: the first two tab-separated fields, a later line wins.
        text.lines()
            .filter_map(|line| {
                let mut fields = line.trim().split('\t');
                let word = fields.next()?;
                let measure = fields.next()?.parse().ok()?;
                Some((word, measure))
            })
            .collect()
    });
    MAP.get(word).copied()
}

/// The description that replaces an emoji before scoring ("😁" → "beaming face with smiling
/// eyes"). The reference compares one character at a time, so only single-character entries
/// can ever match; the others are left out.
pub(super) fn emoji(c: char) -> Option<&'static str> {
    static MAP: LazyLock<HashMap<char, &'static str>> = LazyLock::new(|| {
        let text = include_str!("emoji_utf8_lexicon.txt");
        text.lines()
            .filter_map(|line| {
                let (emoji, description) = line.trim().split_once('\t')?;
                let mut chars = emoji.chars();
                let c = chars.next()?;
                let description = description.split('\t').next()?;
                chars.next().is_none().then_some((c, description))
            })
            .collect()
    });
    MAP.get(&c).copied()
}
