//! Frequent words and two-word phrases in comments, and the ones rising against the
//! previous period. Stop words are removed and break phrases.

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use utoipa::ToSchema;

/// English stop words (the common function words of most stop lists).
const STOP_WORDS: &str = "a about above after again against all also am an and any are aren't as at be \
because been before being below between both but by can can't cannot could couldn't did didn't do does \
doesn't doing don't down during each even ever every few for from further get gets got had hadn't has \
hasn't have haven't having he her here hers herself him himself his how i i'm i've if in into is isn't it \
it's its itself just let's like me more most much my myself no nor not now of off on once only or other \
ought our ours ourselves out over own really same she should shouldn't so some still such than that that's \
the their theirs them themselves then there there's these they they're this those through to too under until \
up us very was wasn't we we're were weren't what what's when where which while who whom why will with won't \
would wouldn't you you're your yours yourself yourselves";

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.split_whitespace().collect())
}

/// Counts of terms over a set of comments: each term counts once per comment that has it.
#[derive(Debug, Default, Clone)]
pub struct TermCounts {
    pub comments: u64,
    pub counts: HashMap<String, u64>,
}

impl TermCounts {
    /// Counts the words and two-word phrases of one comment. A page reads tens of thousands
    /// of comments, so terms are deduplicated as slices of the lowercased comment and only a
    /// term never seen before is allocated.
    pub fn add_comment(&mut self, comment: &str) {
        self.comments += 1;
        let stop = stop_words();
        let lower = comment.to_lowercase();
        let mut words: Vec<&str> = Vec::new();
        let mut phrases: Vec<(&str, &str)> = Vec::new();
        let mut previous: Option<&str> = None;
        for token in lower.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
            let token = token.trim_matches('\'');
            if token.chars().nth(1).is_none()
                || stop.contains(token)
                || token.bytes().all(|b| b.is_ascii_digit())
            {
                // A stop word (or nothing) ends a phrase.
                previous = if token.is_empty() { previous } else { None };
                continue;
            }
            words.push(token);
            if let Some(p) = previous {
                phrases.push((p, token));
            }
            previous = Some(token);
        }
        // Each term counts once per comment.
        words.sort_unstable();
        words.dedup();
        phrases.sort_unstable();
        phrases.dedup();
        for word in words {
            self.count(word);
        }
        let mut phrase = String::new();
        for (first, second) in phrases {
            phrase.clear();
            phrase.extend([first, " ", second]);
            self.count(&phrase);
        }
    }

    fn count(&mut self, term: &str) {
        match self.counts.get_mut(term) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(term.to_string(), 1);
            }
        }
    }
}

/// A term and how often it appears.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Term {
    /// A lowercased word or two-word phrase.
    pub term: String,
    /// Comments containing it in the period.
    pub count: u64,
    /// Its share of the period's comments.
    pub share: f64,
    /// Comments containing it in the previous period.
    pub previous_count: u64,
    /// Share now ÷ share before, each smoothed by one comment (so new terms rank finitely).
    pub lift: f64,
}

/// The most frequent terms and those rising most. Terms must appear in at least
/// `min_count` comments of the period.
pub fn top_terms(
    now: &TermCounts,
    before: &TermCounts,
    limit: usize,
    min_count: u64,
) -> (Vec<Term>, Vec<Term>) {
    let share = |c: u64, n: u64| if n == 0 { 0.0 } else { c as f64 / n as f64 };
    let mut all: Vec<Term> = now
        .counts
        .iter()
        .filter(|(_, &c)| c >= min_count.max(1))
        .map(|(term, &count)| {
            let previous_count = before.counts.get(term).copied().unwrap_or(0);
            let lift = ((count as f64 + 1.0) / (now.comments as f64 + 1.0))
                / ((previous_count as f64 + 1.0) / (before.comments as f64 + 1.0));
            Term { term: term.clone(), count, share: share(count, now.comments), previous_count, lift }
        })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.term.cmp(&b.term)));
    let top: Vec<Term> = all.iter().take(limit).cloned().collect();
    all.retain(|t| t.lift > 1.0);
    all.sort_by(|a, b| {
        b.lift.total_cmp(&a.lift).then_with(|| b.count.cmp(&a.count)).then_with(|| a.term.cmp(&b.term))
    });
    all.truncate(limit);
    (top, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_phrases_without_stop_words() {
        let mut c = TermCounts::default();
        c.add_comment("The dark mode is great, dark mode!");
        c.add_comment("Love the DARK mode");
        assert_eq!(c.counts["dark mode"], 2);
        assert_eq!(c.counts["dark"], 2);
        assert!(!c.counts.contains_key("the"));
        assert!(!c.counts.contains_key("mode great"));
        assert!(!c.counts.contains_key("love dark"));
    }

    #[test]
    fn rising_terms_rank_by_lift() {
        let mut now = TermCounts::default();
        let mut before = TermCounts::default();
        for _ in 0..10 {
            now.add_comment("crash on export");
            before.add_comment("slow search");
        }
        now.add_comment("slow search");
        let (top, rising) = top_terms(&now, &before, 3, 2);
        assert_eq!(top[0].count, 10);
        assert!(rising.iter().all(|t| t.term != "slow search"));
        assert!(rising.iter().any(|t| t.term == "crash export" || t.term == "crash"));
    }
}
