use super::*;
use std::collections::HashMap;

fn keys(comment: &str) -> Vec<String> {
    themes(comment, "eng").into_iter().map(|t| t.key).collect()
}

#[test]
fn the_same_subject_written_differently_is_one_key() {
    for comment in
        ["Exporting to CSV is slow", "The CSV exports take forever", "please fix csv export", "CSV Export!!"]
    {
        assert!(keys(comment).contains(&"csv export".to_string()), "{comment}: {:?}", keys(comment));
    }
    assert!(
        keys("App crashes when I upload photos").contains(&"crash".to_string()) || {
            keys("App crashes when I upload photos").iter().any(|k| k.split(' ').any(|s| s == "crash"))
        }
    );
}

#[test]
fn a_phrase_and_its_words_are_kept_and_tone_is_not() {
    assert_eq!(keys("Dark mode is great"), ["dark mode", "mode", "dark"]);
}

#[test]
fn tone_is_not_a_theme() {
    assert!(keys("Love it, great, awesome!").is_empty(), "{:?}", keys("Love it, great, awesome!"));
    // A milder rated word is a subject.
    assert!(keys("Support answered within minutes").iter().any(|k| k.contains("support")));
}

#[test]
fn other_languages_use_their_own_words_and_unknown_ones_have_none() {
    let de = themes("Der Export nach Excel dauert viel zu lange", "deu");
    assert!(de.iter().any(|t| t.key.contains("export")), "{de:?}");
    assert!(de.iter().all(|t| !t.key.split(' ').any(|s| s == "der" || s == "zu")), "{de:?}");
    assert!(themes("何かのコメント", "jpn").is_empty());
    assert!(!supports("jpn"));
    assert!(supports("und"));
}

#[test]
fn keys_are_bounded_and_few() {
    let long = "word ".repeat(10) + &"x".repeat(300);
    assert!(themes(&long, "eng").iter().all(|t| t.key.chars().count() <= MAX_KEY_CHARS));
    let many = "Checkout, login, search, billing, invoices, onboarding, notifications and reports all broke";
    assert!(themes(many, "eng").len() <= MAX_THEMES_PER_COMMENT);
}

/// A deterministic stream of small numbers (no dependency for one test).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Planted themes, each written several ways inside varied filler, are the most frequent
/// keys of the corpus, and each is found in nearly every comment it was planted in.
#[test]
fn planted_themes_are_recovered_from_a_corpus() {
    let planted: [(&str, &[&str]); 4] = [
        ("dark mode", &["the dark mode", "dark modes", "Dark Mode", "the DARK MODE"]),
        ("csv export", &["exporting to CSV", "CSV exports", "the csv export", "export as CSV"]),
        ("login", &["the login", "logins", "Login", "my login"]),
        // The stemmer's key: "invoices", "invoicing" and "invoice" are one subject.
        ("invoic", &["invoices", "my invoice", "the invoicing", "an invoice"]),
    ];
    let openers = ["Honestly", "I think", "Please", "Today", "Again", "", "Hmm", "As a manager"];
    let verbs =
        ["could be better", "needs work", "is what I use most", "keeps me here", "changed", "is fine"];
    let filler = [
        "the team replied quickly",
        "my colleagues agree",
        "on my phone",
        "since the last update",
        "every morning",
        "",
    ];
    let mut rng = Lcg(7);
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut recall: HashMap<&str, (usize, usize)> = HashMap::new();
    for _ in 0..2000 {
        let (theme, forms) = planted[rng.below(planted.len())];
        let comment = format!(
            "{} {} {}, {}.",
            openers[rng.below(openers.len())],
            forms[rng.below(forms.len())],
            verbs[rng.below(verbs.len())],
            filler[rng.below(filler.len())]
        );
        let found = themes(&comment, "eng");
        let hit = found.iter().any(|t| t.key == theme);
        let r = recall.entry(theme).or_default();
        r.0 += 1;
        r.1 += hit as usize;
        for t in found {
            *counts.entry(t.key).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&String, &usize)> = counts.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<&str> = ranked.iter().take(6).map(|(k, _)| k.as_str()).collect();
    for (theme, (planted_in, found_in)) in &recall {
        let share = *found_in as f64 / *planted_in as f64;
        println!("{theme}: found in {found_in} of {planted_in} comments ({:.1} %)", share * 100.0);
        assert!(share >= 0.9, "{theme} recovered in only {share:.2} of its comments; top keys {top:?}");
        assert!(top.contains(theme), "{theme} not among the top keys {top:?}");
    }
}
