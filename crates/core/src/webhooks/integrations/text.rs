//! Text for chat messages: how long it is in the unit the platforms count, how each markup is
//! escaped, and how a long text is cut without breaking a character.
//!
//! Lengths are UTF-16 code units ([`units`]). Slack and Discord document their limits in
//! "characters" without saying which; a UTF-16 count is never smaller than a count of Unicode
//! scalar values or of grapheme clusters (an emoji outside the Basic Multilingual Plane counts
//! 2, a family ZWJ sequence 11), and it is what Discord's own clients measure, so a text that
//! fits by this count fits by any of them.
//!
//! Escaping looks at most one character ahead (a block marker needs a blank after it), so
//! [`fit`] can cut and escape in one pass, stopping as soon as either the input or its
//! escaped form would pass its budget. Cuts fall between grapheme clusters (UAX #29, through `unicode-segmentation`),
//! so a flag, an emoji ZWJ sequence or a letter with its combining marks is kept whole or
//! dropped whole, and an escape sequence is never split.

use unicode_segmentation::UnicodeSegmentation;

/// Appended to a text that was cut: one character, one UTF-16 unit, in every format.
pub const ELLIPSIS: &str = "…";

/// The length of `s` in UTF-16 code units.
pub fn units(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Which markup a text is placed into, and so how it is escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markup {
    /// Shown as is (Slack `plain_text`, Teams `TextRun`, a Discord footer): nothing to escape.
    Plain,
    /// Slack `mrkdwn`. Slack documents exactly three control characters, `&`, `<` and `>`,
    /// to be written as HTML entities; with them escaped no link, mention (`<!channel>`) or
    /// date token can be formed. Slack documents no escape for `*`, `_` and `~`, so those
    /// pass through, and `verbatim: true` on the text object keeps bare `@channel` inert.
    SlackMrkdwn,
    /// The Markdown subset of Adaptive Card `TextBlock` and `Fact` text in Teams: bold,
    /// italic, links and lists. Their markers get a CommonMark backslash escape; everything
    /// else (`~`, `|`, `<`, `&`) is shown literally by Teams and is left alone.
    TeamsMarkdown,
    /// Discord's Markdown in message content, embed descriptions and field values: every
    /// inline marker, `<` (mentions, timestamps, custom emoji), and the block markers that
    /// only count at the start of a line (headings, quotes, lists) get a backslash escape.
    DiscordMarkdown,
}

/// Where in a line the escaper is, for markers that only count at the start of a line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Only blanks since the line began.
    Start,
    /// Blanks, then one or more digits: a `.` or `)` now may make a numbered list.
    Digits,
    /// Anything else.
    Inside,
}

/// Escapes one character at a time. Inline markers are escaped wherever they are. A block
/// marker at the start of a line (`-`, `+`, `#`, `>`, or `.`/`)` after digits) only makes a
/// list, heading or quote when a blank follows, so it is held back one character and escaped
/// only then: "- item" and "1. one" are escaped, "-5 %", "#hashtag" and "3.2.1" are not.
#[derive(Clone, Copy)]
struct Escaper {
    markup: Markup,
    line: Line,
    /// A block marker waiting for the character that decides whether it needs a backslash.
    pending: Option<char>,
}

impl Escaper {
    fn new(markup: Markup) -> Self {
        Self { markup, line: Line::Start, pending: None }
    }

    fn push(&mut self, out: &mut String, c: char) {
        if let Some(marker) = self.pending.take() {
            // Discord also reads `##`, `>>>` and `-#` (subtext) as block markers.
            let doubled = self.markup == Markup::DiscordMarkdown
                && (c == marker && matches!(c, '#' | '>') || (marker, c) == ('-', '#'));
            push_escaped(out, marker, c.is_whitespace() || doubled);
        }
        let line = self.line;
        self.line = match (c, line) {
            ('\n' | '\r', _) => Line::Start,
            (' ' | '\t', Line::Start) => Line::Start,
            ('0'..='9', Line::Start | Line::Digits) => Line::Digits,
            _ => Line::Inside,
        };
        let block = match (self.markup, line) {
            (Markup::TeamsMarkdown, Line::Start) => matches!(c, '-' | '+'),
            (Markup::DiscordMarkdown, Line::Start) => matches!(c, '-' | '+' | '#' | '>'),
            (Markup::TeamsMarkdown | Markup::DiscordMarkdown, Line::Digits) => matches!(c, '.' | ')'),
            _ => false,
        };
        if block {
            self.pending = Some(c);
            return;
        }
        match self.markup {
            Markup::Plain => out.push(c),
            Markup::SlackMrkdwn => match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                _ => out.push(c),
            },
            Markup::TeamsMarkdown => push_escaped(out, c, matches!(c, '\\' | '*' | '_' | '[' | ']')),
            Markup::DiscordMarkdown => {
                push_escaped(out, c, matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '<'));
            }
        }
    }

    /// Ends the text: a marker still held back has nothing after it, so it makes no block.
    fn finish(&mut self, out: &mut String) {
        if let Some(marker) = self.pending.take() {
            out.push(marker);
        }
    }

    /// The most a held-back marker can still add: itself and a backslash.
    fn held_units(&self) -> usize {
        self.pending.map_or(0, |_| 2)
    }
}

fn push_escaped(out: &mut String, c: char, escape: bool) {
    if escape {
        out.push('\\');
    }
    out.push(c);
}

/// `s` escaped for `markup`, whole.
pub fn escape(markup: Markup, s: &str) -> String {
    let mut escaper = Escaper::new(markup);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        escaper.push(&mut out, c);
    }
    escaper.finish(&mut out);
    out
}

/// `s` escaped for `markup` and, when too long, cut with [`ELLIPSIS`].
///
/// A text of at most `max_raw` units whose escaped form is at most `max_escaped` units is
/// kept whole. A longer one keeps its longest prefix that ends between grapheme clusters
/// (trailing blanks dropped) such that the prefix plus the ellipsis is at most `max_raw`
/// units and its escaped form plus the ellipsis at most `max_escaped` units. So `max_raw` is
/// the documented cut length, and `max_escaped` the platform limit that the escaped text
/// must respect even when escaping makes it longer (Slack's `&amp;` is five units for one).
/// Budgets below one unit leave just the ellipsis.
pub fn fit(s: &str, markup: Markup, max_raw: usize, max_escaped: usize) -> String {
    let whole = escape(markup, s);
    if units(s) <= max_raw && units(&whole) <= max_escaped {
        return whole;
    }
    let raw_budget = max_raw.saturating_sub(units(ELLIPSIS));
    let escaped_budget = max_escaped.saturating_sub(units(ELLIPSIS));
    let mut escaper = Escaper::new(markup);
    let (mut raw_used, mut escaped_used, mut kept_bytes) = (0, 0, 0);
    let mut piece = String::new();
    for g in s.graphemes(true) {
        piece.clear();
        let mut trial = escaper;
        g.chars().for_each(|c| trial.push(&mut piece, c));
        let (raw, escaped) = (units(g), units(&piece));
        if raw_used + raw > raw_budget || escaped_used + escaped + trial.held_units() > escaped_budget {
            break;
        }
        raw_used += raw;
        escaped_used += escaped;
        kept_bytes += g.len();
        escaper = trial;
    }
    // The kept prefix, without trailing blanks, escaped anew: what follows it now is the
    // ellipsis, so a held-back marker stays unescaped, and the result is never longer than
    // what the loop counted.
    let kept = s[..kept_bytes].trim_end();
    let mut cut = escape(markup, kept);
    cut.push_str(ELLIPSIS);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_utf16_units_so_astral_emoji_count_twice() {
        assert_eq!(units("abc"), 3);
        assert_eq!(units("é"), 1);
        assert_eq!(units("😀"), 2);
        assert_eq!(units("👨‍👩‍👧‍👦"), 11);
        assert_eq!(units("🇩🇪"), 4);
    }

    #[test]
    fn slack_escapes_exactly_its_three_control_characters() {
        assert_eq!(escape(Markup::SlackMrkdwn, "a<b>&c *_~|"), "a&lt;b&gt;&amp;c *_~|");
    }

    #[test]
    fn discord_escapes_inline_markers_everywhere_and_block_markers_at_line_start() {
        assert_eq!(
            escape(Markup::DiscordMarkdown, "*a* _b_ ~~c~~ `d` ||e||"),
            r"\*a\* \_b\_ \~\~c\~\~ \`d\` \|\|e\|\|"
        );
        assert_eq!(
            escape(Markup::DiscordMarkdown, "# h\n> q\n  - l\n12. n\na-b 3.5"),
            "\\# h\n\\> q\n  \\- l\n12\\. n\na-b 3.5"
        );
        assert_eq!(escape(Markup::DiscordMarkdown, "<@123> [x](y) \\"), r"\<@123> \[x\](y) \\");
        assert_eq!(escape(Markup::DiscordMarkdown, "## h\n-# s\n>>> q"), "\\## h\n\\-# s\n\\>>> q");
    }

    #[test]
    fn block_markers_without_a_blank_after_them_are_left_alone() {
        let s = "-5 %\n#tag\n3.2.1\n>x\n+1\n1.";
        assert_eq!(escape(Markup::DiscordMarkdown, s), s);
        assert_eq!(escape(Markup::TeamsMarkdown, s), s);
        assert_eq!(fit("1. abc", Markup::DiscordMarkdown, 3, 100), "1.…");
    }

    #[test]
    fn teams_escapes_its_markdown_subset_only() {
        assert_eq!(escape(Markup::TeamsMarkdown, "**b** _i_ [t](u) ~|<&"), r"\*\*b\*\* \_i\_ \[t\](u) ~|<&");
        assert_eq!(escape(Markup::TeamsMarkdown, "- a\n1. b\nx-1.5\n2) c"), "\\- a\n1\\. b\nx-1.5\n2\\) c");
    }

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(fit("hello", Markup::Plain, 5, 5), "hello");
        assert_eq!(fit("", Markup::DiscordMarkdown, 0, 0), "");
    }

    #[test]
    fn long_text_is_cut_to_the_budget_with_an_ellipsis() {
        let cut = fit("abcdefghij", Markup::Plain, 5, 100);
        assert_eq!(cut, "abcd…");
        assert!(units(&cut) <= 5);
    }

    #[test]
    fn never_splits_a_zwj_sequence_or_a_flag() {
        let family = "👨‍👩‍👧‍👦";
        let s = format!("ab{family}🇩🇪cd");
        // 2 + 11 units do not fit in 12 (11 for text, 1 for the ellipsis): the family goes whole.
        assert_eq!(fit(&s, Markup::Plain, 12, 100), "ab…");
        assert_eq!(fit(&s, Markup::Plain, 14, 100), format!("ab{family}…"));
        assert_eq!(fit(&s, Markup::Plain, 18, 100), format!("ab{family}🇩🇪…"));
    }

    #[test]
    fn the_escaped_budget_binds_when_escaping_grows_the_text() {
        let s = "&".repeat(100);
        let cut = fit(&s, Markup::SlackMrkdwn, 100, 26);
        assert_eq!(cut, format!("{}…", "&amp;".repeat(5)));
        assert!(units(&cut) <= 26);
    }

    #[test]
    fn a_cut_never_leaves_half_an_escape() {
        let s = "*".repeat(50);
        let cut = fit(&s, Markup::DiscordMarkdown, 50, 10);
        assert_eq!(cut, format!("{}…", r"\*".repeat(4)));
    }

    #[test]
    fn trailing_blanks_before_the_ellipsis_are_dropped() {
        assert_eq!(fit("abc   defgh", Markup::Plain, 7, 100), "abc…");
    }

    #[test]
    fn rtl_text_is_cut_between_letters_not_bytes() {
        let s = "مرحبا بالعالم שלום עולם";
        let cut = fit(s, Markup::Plain, 7, 100);
        assert_eq!(cut, "مرحبا…");
        assert!(s.starts_with(cut.trim_end_matches(ELLIPSIS)));
        // Arabic with its vowel marks: each mark stays with its letter.
        let voweled = "مَرْحَبًا";
        let cut = fit(voweled, Markup::Plain, 5, 100);
        assert_eq!(cut, "مَرْ…");
    }

    #[test]
    fn zero_budgets_give_just_the_ellipsis_and_never_panic() {
        assert_eq!(fit("abc", Markup::Plain, 0, 0), "…");
    }
}
