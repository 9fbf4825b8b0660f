//! Which comments can be scored: VADER's lexicon is English, so a comment in another language
//! would be scored on the few English-looking words it happens to contain. Detection uses
//! `whatlang` (trigram profiles, no model file, no I/O).

/// The outcome of the language check for one comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// ISO 639-3 code of the detected language ("eng", "deu"), or "und" when the text is too
    /// short or mixed for a reliable answer.
    pub code: &'static str,
    /// Whether the comment should be scored: English, or undetermined (short texts such as
    /// "love it!" are too short for detection, and VADER is built for them).
    pub scorable: bool,
}

/// The code stored for text whose language could not be told reliably (ISO 639-2 "und").
pub const UNDETERMINED: &str = "und";

/// Confidence below which a detection is treated as undetermined. whatlang's own
/// `is_reliable` rejects most one-sentence comments, even plain English or German ones; at
/// 0.2 a short Spanish sentence is still recognised while two-word comments ("love it!",
/// "great app", detected as Slovene and German at 0.07..0.16) stay undetermined and scored.
const MIN_CONFIDENCE: f64 = 0.2;

/// Detects the language of `text`.
pub fn detect(text: &str) -> Detected {
    match whatlang::detect(text) {
        Some(info) if info.confidence() >= MIN_CONFIDENCE => {
            let lang = info.lang();
            Detected { code: lang.code(), scorable: lang == whatlang::Lang::Eng }
        }
        _ => Detected { code: UNDETERMINED, scorable: true },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_scorable() {
        let d = detect("The new editor is great, but exporting a report takes far too long.");
        assert_eq!(d, Detected { code: "eng", scorable: true });
    }

    #[test]
    fn german_is_not_scorable() {
        let d = detect("Der neue Editor ist großartig, aber der Export dauert viel zu lange.");
        assert_eq!(d, Detected { code: "deu", scorable: false });
        let d = detect("El editor nuevo es muy bueno pero lento");
        assert_eq!(d, Detected { code: "spa", scorable: false });
    }

    #[test]
    fn a_two_word_comment_is_undetermined_and_scorable() {
        assert_eq!(detect("love it!"), Detected { code: UNDETERMINED, scorable: true });
    }
}
