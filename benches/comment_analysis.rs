//! What the comment task costs per comment, on one core: language detection, VADER's
//! sentiment, YAKE's themes, and the three together as the task runs them
//! (`text::analyse_comment`), over the 1,200 feedback-like sentences of the VADER parity
//! corpus (tests/data/vader_corpus.txt).
//!
//! Run: `cargo bench --bench comment_analysis`. Prints the figures BENCHMARKS.md records.

use feedbackd_insights::text::{analyse_comment, language, sentiment, themes};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Passes over the corpus until at least this long has gone by.
const MIN_TIME: Duration = Duration::from_secs(3);

fn per_comment(name: &str, corpus: &[&str], mut f: impl FnMut(&str)) -> f64 {
    // One pass first: lazily built tables (lexicon, stop words, stemmers) are not measured.
    corpus.iter().for_each(|c| f(c));
    let (started, mut done) = (Instant::now(), 0u64);
    while started.elapsed() < MIN_TIME {
        for c in corpus {
            f(c);
        }
        done += corpus.len() as u64;
    }
    let us = started.elapsed().as_secs_f64() * 1e6 / done as f64;
    println!("{name:<28} {us:>8.1} µs/comment  ({done} comments)");
    us
}

fn main() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vader_corpus.txt"))
        .expect("tests/data/vader_corpus.txt");
    let corpus: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let chars: usize = corpus.iter().map(|c| c.chars().count()).sum();
    println!(
        "corpus: {} comments, {:.0} characters on average; one thread",
        corpus.len(),
        chars as f64 / corpus.len() as f64
    );
    per_comment("language (whatlang)", &corpus, |c| {
        black_box(language::detect(c));
    });
    per_comment("sentiment (VADER)", &corpus, |c| {
        black_box(sentiment::polarity(c));
    });
    per_comment("themes (YAKE + stems)", &corpus, |c| {
        black_box(themes::themes(c, "eng"));
    });
    let all = per_comment("all three (analyse_comment)", &corpus, |c| {
        black_box(analyse_comment(c));
    });
    println!("one core analyses {:.0} comments/s", 1e6 / all);
}
