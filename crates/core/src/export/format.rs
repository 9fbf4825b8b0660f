//! How one answer becomes a CSV record or an NDJSON line.

use super::csv_line::CsvLine;
use super::members::{value_cell, Members};
use chrono_tz::Tz;
use feedbackd_domain::questions::QuestionKind;
use feedbackd_domain::{Category, Questions};
use feedbackd_store::insights::{JsonText, ListedAnswer};
use serde_json::Value;
use std::borrow::Cow;

/// The columns every CSV export has, before one `attributes.KEY` column per attribute key.
pub const FIXED_COLUMNS: [&str; 18] = [
    "id",
    "survey_id",
    "respondent_id",
    "score",
    "comment",
    "category",
    "answered_at",
    "received_at",
    "client_time",
    "late",
    "duplicate_of",
    "sentiment",
    "sentiment_language",
    "themes",
    "context.page_url",
    "context.user_agent",
    "context.device",
    "context.screen",
];

/// The context fields with a column of their own (what widgets send; NDJSON carries all).
const CONTEXT_FIELDS: [&str; 4] = ["page_url", "user_agent", "device", "screen"];

/// A text cell made safe for spreadsheets: one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'`, so Excel, LibreOffice and Sheets show it as text
/// instead of evaluating it as a formula (OWASP's CSV injection advice). Only cells that
/// carry what respondents or apps sent go through this; ids, times and scores never do.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// An optional text cell, guarded.
fn text(s: &Option<String>) -> Cow<'_, str> {
    neutralise(s.as_deref().unwrap_or(""))
}

/// One CSV column of a survey's questions, in the survey's order (retired ones included,
/// so a column never moves): a choice question has one per option, `1` when picked, `0`
/// when the question was answered without it, empty when it was not answered, and one for
/// the `other` text; a rating or a text question has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionColumn {
    Option { question: String, option: String },
    Other { question: String },
    Value { question: String },
}

impl QuestionColumn {
    /// Every column of `questions`, in order.
    pub fn all(questions: &Questions) -> Vec<QuestionColumn> {
        let mut columns = Vec::new();
        for q in &questions.0 {
            let question = q.key.clone();
            match q.kind {
                QuestionKind::Choice => {
                    for o in &q.options {
                        columns.push(QuestionColumn::Option {
                            question: question.clone(),
                            option: o.key.clone(),
                        });
                    }
                    if q.other {
                        columns.push(QuestionColumn::Other { question });
                    }
                }
                QuestionKind::Rating | QuestionKind::Text => columns.push(QuestionColumn::Value { question }),
            }
        }
        columns
    }

    fn header(&self) -> String {
        match self {
            QuestionColumn::Option { question, option } => format!("answers.{question}.{option}"),
            QuestionColumn::Other { question } => format!("answers.{question}.other_text"),
            QuestionColumn::Value { question } => format!("answers.{question}"),
        }
    }

    fn cell<'a>(&self, answers: Option<&'a Value>) -> Cow<'a, str> {
        let answer = |q: &str| answers.and_then(|a| a.get(q));
        match self {
            QuestionColumn::Option { question, option } => match answer(question)
                .and_then(|a| a.get("options"))
            {
                Some(Value::Array(picked)) if picked.iter().any(|p| p.as_str() == Some(option)) => "1".into(),
                Some(_) => "0".into(),
                None => "".into(),
            },
            QuestionColumn::Other { question } => neutralise(
                answer(question).and_then(|a| a.get("other")).and_then(Value::as_str).unwrap_or(""),
            ),
            QuestionColumn::Value { question } => match answer(question) {
                Some(a) => match (a.get("rating"), a.get("text")) {
                    (Some(rating), _) => Cow::Owned(rating.to_string()),
                    (None, Some(Value::String(t))) => neutralise(t),
                    _ => "".into(),
                },
                None => "".into(),
            },
        }
    }
}

/// Writes rows of one format into an in-memory buffer that the caller drains in chunks.
pub enum Encoder {
    /// RFC 4180: CRLF line ends, fields quoted when they need it.
    Csv(Box<CsvEncoder>),
    /// One JSON object per line, as the list API shows an answer.
    Ndjson { buffer: Vec<u8> },
}

impl Encoder {
    /// A CSV encoder whose header (after an optional UTF-8 BOM) is already written.
    pub fn csv(keys: Vec<String>, questions: Vec<QuestionColumn>, tz: Tz, bom: bool) -> Self {
        let mut buffer = fresh_buffer();
        if bom {
            buffer.extend_from_slice("\u{feff}".as_bytes());
        }
        let mut line = CsvLine::new(buffer);
        for column in FIXED_COLUMNS {
            line.text(column.as_bytes());
        }
        for key in &keys {
            line.text(format!("attributes.{key}").as_bytes());
        }
        for column in &questions {
            line.text(column.header().as_bytes());
        }
        line.end();
        Encoder::Csv(Box::new(CsvEncoder {
            line,
            attributes: Members::new(keys),
            context: Members::new(CONTEXT_FIELDS.map(str::to_string).to_vec()),
            questions,
            tz,
        }))
    }

    /// An NDJSON encoder.
    pub fn ndjson() -> Self {
        Encoder::Ndjson { buffer: fresh_buffer() }
    }

    /// Appends one answer.
    pub fn row(&mut self, a: &ListedAnswer<JsonText>) -> Result<(), serde_json::Error> {
        match self {
            Encoder::Csv(csv) => csv.row(a),
            Encoder::Ndjson { buffer } => {
                serde_json::to_writer(&mut *buffer, a)?;
                buffer.push(b'\n');
                Ok(())
            }
        }
    }

    /// Whether a chunk's worth of bytes is waiting.
    pub fn is_full(&self) -> bool {
        let buffered = match self {
            Encoder::Csv(csv) => csv.line.buffered(),
            Encoder::Ndjson { buffer } => buffer.len(),
        };
        buffered >= CHUNK_BYTES
    }

    /// Everything written so far, leaving the encoder empty.
    pub fn take(&mut self) -> Vec<u8> {
        match self {
            Encoder::Csv(csv) => csv.line.take(fresh_buffer()),
            Encoder::Ndjson { buffer } => std::mem::replace(buffer, fresh_buffer()),
        }
    }
}

/// Room for a chunk and the row that fills it.
fn fresh_buffer() -> Vec<u8> {
    Vec::with_capacity(CHUNK_BYTES + 8 * 1024)
}

/// The CSV side of [`Encoder`]: the record being written and what each row's cells are
/// found by.
pub struct CsvEncoder {
    line: CsvLine,
    attributes: Members,
    context: Members,
    questions: Vec<QuestionColumn>,
    tz: Tz,
}

impl CsvEncoder {
    fn row(&mut self, a: &ListedAnswer<JsonText>) -> Result<(), serde_json::Error> {
        let (line, tz) = (&mut self.line, self.tz);
        let mut uuid = uuid::Uuid::encode_buffer();
        line.plain(a.id.hyphenated().encode_lower(&mut uuid).as_bytes());
        line.plain(a.survey_id.hyphenated().encode_lower(&mut uuid).as_bytes());
        line.text(text(&a.respondent_id).as_bytes());
        match a.score {
            Some(score) => line.integer(score.into()),
            None => line.plain(b""),
        }
        line.text(text(&a.comment).as_bytes());
        line.plain(a.category.map_or("", Category::as_str).as_bytes());
        line.time(a.answered_at, tz);
        line.time(a.received_at, tz);
        match a.client_time {
            Some(t) => line.time(t, tz),
            None => line.plain(b""),
        }
        line.plain(if a.late { b"true" } else { b"false" });
        match a.duplicate_of {
            Some(id) => line.plain(id.hyphenated().encode_lower(&mut uuid).as_bytes()),
            None => line.plain(b""),
        }
        line.plain(a.sentiment.map(|s| s.to_string()).unwrap_or_default().as_bytes());
        line.text(a.sentiment_language.as_deref().unwrap_or("").as_bytes());
        // Keys are stems and spaces: "; " cannot be inside one.
        line.text(a.themes.as_deref().map(|t| t.join("; ")).unwrap_or_default().as_bytes());
        let mut slots = Vec::new();
        for (members, json) in [(&self.context, &a.context), (&self.attributes, &a.attributes)] {
            members.pick(json.as_str(), &mut slots)?;
            for value in &slots {
                line.text(neutralise(&value_cell(*value)).as_bytes());
            }
        }
        if !self.questions.is_empty() {
            let answers: Option<Value> =
                a.answers.as_ref().map(|json| serde_json::from_str(json.as_str())).transpose()?;
            for column in &self.questions {
                line.text(column.cell(answers.as_ref()).as_bytes());
            }
        }
        line.end();
        Ok(())
    }
}

/// Bytes per chunk sent to the client: large enough that per-chunk costs vanish, small
/// enough that a handful in flight is nothing.
pub const CHUNK_BYTES: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_get_a_quote_and_others_do_not() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["", "1", "plain", " =1", "'quoted", "😀"] {
            assert_eq!(neutralise(cell), cell);
        }
    }
}
