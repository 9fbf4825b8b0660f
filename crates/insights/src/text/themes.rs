//! What a comment is about: its key phrases (YAKE, unsupervised, one comment at a time),
//! each normalised into a *theme key* so that the same subject written differently counts
//! as one theme across comments:
//!
//! - lowercased, stop words dropped (YAKE's own per-language lists, from `yake-rust`);
//! - each word stemmed (Snowball, `rust-stemmers`): "crashes", "crashing" → "crash";
//! - the stems sorted: "CSV export", "exporting to CSV" → "csv export";
//! - at most two words that are not stop words ("export to csv" is a key, "dark mode
//!   changed" is not: its two-word parts are candidates of their own);
//! - in English, a word VADER rates strongly (|valence| ≥ 1.8: "love", "great", "awful")
//!   is dropped from keys: the tone of a comment is the sentiment's job, a theme is what it
//!   is about. Milder rated words ("crash", "support") are subjects and stay.
//!
//! A comment in a language without both a stop-word list and a stemmer has no themes.
//!
//! One comment is too short for YAKE to tell a subject from filler ("honestly the login"
//! can rank above "login"), so every good candidate is kept, up to
//! [`MAX_THEMES_PER_COMMENT`]; what the subjects are is decided over many comments by the
//! report (filler rarely repeats; a word that nearly always comes inside one phrase, "dark"
//! in "dark mode", is shown as that phrase).

use super::lexicon;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;
use std::sync::LazyLock;
use yake_rust::{Config, StopWords};

/// Most themes kept per comment: short comments name one to three subjects, each as a
/// phrase and its words; beyond six are YAKE's weakest candidates of longer comments.
pub const MAX_THEMES_PER_COMMENT: usize = 6;
/// Longest theme key kept (the rollups keep values up to 128 characters).
pub const MAX_KEY_CHARS: usize = 100;
/// Longest phrase kept as a label.
pub const MAX_LABEL_CHARS: usize = 200;
/// Most words in a theme, stop words apart: a third is nearly always tone or filler, and
/// the two-word phrases inside are candidates of their own.
const MAX_WORDS: usize = 2;
/// Candidates YAKE is asked for before subsumed and empty keys are dropped.
const CANDIDATES: usize = 12;
/// |valence| from which an English word is tone rather than subject.
const TONE_VALENCE: f64 = 1.8;

/// One theme of a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// The normalised key: sorted stems separated by spaces ("csv export").
    pub key: String,
    /// The phrase as written, lowercased ("exporting to csv"): the theme's first label.
    pub label: String,
}

/// The tools of one language: YAKE's stop words and the Snowball stemmer.
struct Language {
    stop_words: StopWords,
    stemmer: Stemmer,
    english: bool,
}

/// whatlang's ISO 639-3 codes of the languages that have both a YAKE stop-word list and a
/// Snowball stemmer, with YAKE's code.
const LANGUAGES: &[(&str, &str, Algorithm)] = &[
    ("eng", "en", Algorithm::English),
    ("deu", "de", Algorithm::German),
    ("fra", "fr", Algorithm::French),
    ("spa", "es", Algorithm::Spanish),
    ("ita", "it", Algorithm::Italian),
    ("por", "pt", Algorithm::Portuguese),
    ("nld", "nl", Algorithm::Dutch),
    ("dan", "da", Algorithm::Danish),
    ("fin", "fi", Algorithm::Finnish),
    ("swe", "sv", Algorithm::Swedish),
    ("nob", "no", Algorithm::Norwegian),
    ("rus", "ru", Algorithm::Russian),
    ("ron", "ro", Algorithm::Romanian),
    ("hun", "hu", Algorithm::Hungarian),
    ("tur", "tr", Algorithm::Turkish),
    ("ell", "el", Algorithm::Greek),
    ("ara", "ar", Algorithm::Arabic),
];

fn language(code: &str) -> Option<&'static Language> {
    static ALL: LazyLock<HashMap<&'static str, Language>> = LazyLock::new(|| {
        LANGUAGES
            .iter()
            .filter_map(|&(code, yake, algorithm)| {
                let stop_words = StopWords::predefined(yake)?;
                Some((
                    code,
                    Language { stop_words, stemmer: Stemmer::create(algorithm), english: code == "eng" },
                ))
            })
            .collect()
    });
    // Too short to tell is nearly always English here (as for the sentiment).
    let code = if code == super::language::UNDETERMINED { "eng" } else { code };
    ALL.get(code)
}

/// Whether the theme extraction knows the language (ISO 639-3, or "und").
pub fn supports(language_code: &str) -> bool {
    language(language_code).is_some()
}

fn config() -> &'static Config {
    static CONFIG: LazyLock<Config> = LazyLock::new(|| Config {
        // Subjects in feedback are one or two words ("dark mode", "checkout", "csv export"),
        // sometimes with a stop word between ("export to csv"): three-word candidates are
        // asked for, and those with three words that are not stop words are dropped below.
        ngrams: 3,
        // Near-duplicates are merged by the key instead, which also merges them across
        // comments; YAKE's Levenshtein pass would only see one comment.
        remove_duplicates: false,
        ..Config::default()
    });
    &CONFIG
}

/// The themes of `comment`, written in the language `language_code` (ISO 639-3 as the
/// language check stores it), best first; empty for an unsupported language.
pub fn themes(comment: &str, language_code: &str) -> Vec<Theme> {
    let Some(lang) = language(language_code) else {
        return Vec::new();
    };
    let mut found: Vec<Theme> = Vec::new();
    for item in yake_rust::get_n_best(CANDIDATES, comment, &lang.stop_words, config()) {
        let mut stems: Vec<String> = Vec::new();
        for word in item.keyword.split_whitespace() {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric());
            if word.chars().count() < 2
                || word.chars().all(|c| c.is_ascii_digit())
                || lang.stop_words.contains(word)
                || (lang.english && lexicon::valence(word).is_some_and(|v| v.abs() >= TONE_VALENCE))
            {
                continue;
            }
            stems.push(lang.stemmer.stem(word).into_owned());
        }
        stems.sort_unstable();
        stems.dedup();
        let key = stems.join(" ");
        if key.is_empty()
            || stems.len() > MAX_WORDS
            || key.chars().count() > MAX_KEY_CHARS
            || item.keyword.chars().count() > MAX_LABEL_CHARS
            || found.iter().any(|t| t.key == key)
        {
            continue;
        }
        found.push(Theme { key, label: item.keyword });
        if found.len() == MAX_THEMES_PER_COMMENT {
            break;
        }
    }
    found
}

#[cfg(test)]
#[path = "themes_tests.rs"]
mod tests;
