//! Text analysis of free-text comments, pure and without I/O: sentiment (a port of VADER),
//! themes (YAKE key phrases normalised into keys), and the language check that decides
//! whether a comment can be scored at all.

pub mod language;
mod lexicon;
pub mod sentiment;
pub mod themes;

#[cfg(test)]
mod parity_tests;

/// What the comment task stores for one comment.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentAnalysis {
    /// VADER's compound score, or `None` for a comment in a language VADER does not know.
    pub sentiment: Option<f32>,
    /// The detected language ([`language::Detected::code`]).
    pub language: &'static str,
    /// What it is about ([`themes::themes`]), best first.
    pub themes: Vec<themes::Theme>,
}

/// Detects the comment's language, scores it when it is English (or too short to tell), and
/// finds its themes when the language has the tools for it.
pub fn analyse_comment(comment: &str) -> CommentAnalysis {
    let detected = language::detect(comment);
    // Rounded to the four decimals the reference reports (and exports show), then stored as
    // `real`, which holds four decimals exactly enough to print them back unchanged.
    let sentiment =
        detected.scorable.then(|| ((sentiment::polarity(comment).compound * 1e4).round() / 1e4) as f32);
    CommentAnalysis { sentiment, language: detected.code, themes: themes::themes(comment, detected.code) }
}
