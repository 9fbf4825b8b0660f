//! Text analysis of free-text comments, pure and without I/O: sentiment (a port of VADER)
//! and the language check that decides whether a comment can be scored at all.

pub mod language;
mod lexicon;
pub mod sentiment;

#[cfg(test)]
mod parity_tests;

/// What the sentiment task stores for one comment.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentSentiment {
    /// VADER's compound score, or `None` for a comment in a language VADER does not know.
    pub sentiment: Option<f32>,
    /// The detected language ([`language::Detected::code`]).
    pub language: &'static str,
}

/// Detects the comment's language and scores it when it is English (or too short to tell).
pub fn score_comment(comment: &str) -> CommentSentiment {
    let detected = language::detect(comment);
    // Rounded to the four decimals the reference reports (and exports show), then stored as
    // `real`, which holds four decimals exactly enough to print them back unchanged.
    let sentiment =
        detected.scorable.then(|| ((sentiment::polarity(comment).compound * 1e4).round() / 1e4) as f32);
    CommentSentiment { sentiment, language: detected.code }
}
