//! The questions of a survey beyond its score: a choice survey's main question, and up to
//! five additional `choice`, `rating` or `text` questions, each shown for a band of the
//! main answer. Stored in `surveys.questions`, checked before every write; an answer's
//! values are checked here too and stored in the canonical [`Answer`] form.
//! The contract: `docs/design/0019-questions.md`.

use super::presentation::{check_text, is_locale_tag};
use super::{FieldError, Labels, Scale, SurveyKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;

/// The key of a choice survey's main question.
pub const MAIN: &str = "main";
/// The option key that takes free text when a question allows `other`.
pub const OTHER: &str = "other";
/// Most additional questions a survey asks.
pub const MAX_ACTIVE_QUESTIONS: usize = 5;
/// Most questions stored, retired ones included.
pub const MAX_QUESTIONS: usize = 20;
/// Fewest and most options a choice question offers.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 20;
/// Most options stored in one question, retired ones included.
pub const MAX_STORED_OPTIONS: usize = 60;
const MAX_KEY_CHARS: usize = 40;
const MAX_LABEL_CHARS: usize = 200;
const MAX_QUESTION_CHARS: usize = 500;
const MAX_LOCALES: usize = 40;
/// Longest free text of an `other` option.
pub const MAX_OTHER_CHARS: usize = 500;

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Pick one option (or several, with `multiple`).
    Choice,
    /// A score on a 1–5 or 0–10 scale.
    Rating,
    /// Free text.
    Text,
}

names!(QuestionKind { Choice => "choice", Rating => "rating", Text => "text" });

/// A band of the main answer, for `show_if`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// NPS 0–6.
    Detractor,
    /// NPS 7–8.
    Passive,
    /// NPS 9–10.
    Promoter,
    /// CSAT, CES, rating: below the top two points of the scale.
    Low,
    /// CSAT, CES, rating: the top two points of the scale.
    High,
}

names!(Band { Detractor => "detractor", Passive => "passive", Promoter => "promoter", Low => "low", High => "high" });

impl Band {
    /// The band of `score` in a survey of `kind` on `scale`.
    pub fn of(kind: SurveyKind, scale: Scale, score: i16) -> Band {
        match kind {
            SurveyKind::Nps if score <= 6 => Band::Detractor,
            SurveyKind::Nps if score <= 8 => Band::Passive,
            SurveyKind::Nps => Band::Promoter,
            _ if score >= scale.max - 1 => Band::High,
            _ => Band::Low,
        }
    }

    fn fits(self, kind: SurveyKind) -> bool {
        match kind {
            SurveyKind::Nps => matches!(self, Band::Detractor | Band::Passive | Band::Promoter),
            SurveyKind::Csat | SurveyKind::Ces | SurveyKind::Rating => matches!(self, Band::Low | Band::High),
            SurveyKind::Text | SurveyKind::Choice => false,
        }
    }
}

/// One option of a choice question. Its key never changes; its label may.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub key: String,
    pub label: String,
    /// The label by locale (`de`, `pt-BR`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locales: BTreeMap<String, String>,
    /// No longer offered; its answers stay in the reports.
    #[serde(default, skip_serializing_if = "is_false")]
    pub retired: bool,
}

/// When an additional question is shown: for any of `bands` of the main score and for any
/// of `options` of a choice survey's main answer. Both given: both must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowIf {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<Band>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// 1–40 of `a-z`, `0-9`, `_`; never changes. `main` only for a choice survey's main question.
    pub key: String,
    pub kind: QuestionKind,
    /// The question; absent only for `main` (the survey's `question` is its text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The question by locale.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locales: BTreeMap<String, String>,
    /// `choice`: the options, in the order shown (unless `shuffle`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// `choice`: several options may be picked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    /// `choice` with `multiple`: at most this many picks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 20)]
    pub max_picks: Option<u8>,
    /// `choice`: the option keyed `other` takes free text.
    #[serde(default, skip_serializing_if = "is_false")]
    pub other: bool,
    /// `choice`: widgets shuffle the options (`other` stays last).
    #[serde(default, skip_serializing_if = "is_false")]
    pub shuffle: bool,
    /// `rating`: 1–5 or 0–10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    /// `rating`: labels of the scale's ends.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    /// Shown only for these main answers; absent: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// No longer asked; its answers stay in the reports.
    #[serde(default, skip_serializing_if = "is_false")]
    pub retired: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An answer to one question, as stored and read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// `choice`: the option keys picked, in the order sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// `choice`: the text of the `other` option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// `rating`: the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<i16>,
    /// `text`: the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Answers by question key.
pub type Answers = BTreeMap<String, Answer>;

/// What the additional questions are shown for: the main score, or the main options.
#[derive(Debug, Clone, Copy)]
pub struct MainAnswer<'a> {
    pub kind: SurveyKind,
    pub scale: Option<Scale>,
    pub score: Option<i16>,
    pub options: &'a [String],
}

/// A survey's questions, in order; a choice survey's `main` first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Questions(pub Vec<Question>);

impl Questions {
    /// The question of `key`.
    pub fn get(&self, key: &str) -> Option<&Question> {
        self.0.iter().find(|q| q.key == key)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The questions a widget asks: retired questions and options left out.
    pub fn asked(&self) -> Questions {
        let asked = self.0.iter().filter(|q| !q.retired).map(|q| {
            let options = q.options.iter().filter(|o| !o.retired).cloned().collect();
            Question { options, ..q.clone() }
        });
        Questions(asked.collect())
    }

    /// The main question of a choice survey.
    pub fn main(&self) -> Option<&Question> {
        self.get(MAIN)
    }

    /// Every rule these questions break for a survey of `kind`, under `questions`.
    pub fn check(&self, kind: SurveyKind) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let has_main = self.0.first().is_some_and(|q| q.key == MAIN);
        if kind == SurveyKind::Choice && !has_main {
            errors.push(FieldError::new(
                "",
                "a choice survey's first question is its main question, key `main`",
            ));
        }
        if self.0.len() > MAX_QUESTIONS {
            errors.push(FieldError::new(
                "",
                format!("at most {MAX_QUESTIONS} questions, retired ones included"),
            ));
        }
        let active = self.0.iter().filter(|q| !q.retired && q.key != MAIN).count();
        if active > MAX_ACTIVE_QUESTIONS {
            errors.push(FieldError::new(
                "",
                format!("at most {MAX_ACTIVE_QUESTIONS} questions are asked after the main one"),
            ));
        }
        let main = self.main();
        let mut keys = HashSet::new();
        for (i, q) in self.0.iter().enumerate() {
            let path = format!("[{i}]");
            if !keys.insert(q.key.as_str()) {
                errors.push(FieldError::new(format!("{path}.key"), format!("{:?} is used twice", q.key)));
            }
            let is_main = q.key == MAIN;
            if is_main && (i != 0 || kind != SurveyKind::Choice) {
                errors.push(FieldError::new(
                    format!("{path}.key"),
                    "`main` is the first question of a choice survey only",
                ));
            }
            check_question(q, is_main, kind, main, &path, &mut errors);
        }
        errors.into_iter().map(|e| e.under("questions")).collect()
    }

    /// These questions as an update of `old`: what `old` had and this update leaves out
    /// stays, retired (answers keep their meaning, reports keep their rows). A question
    /// cannot change its kind, nor a rating its scale.
    pub fn updating(mut self, old: &Questions) -> Result<Questions, FieldError> {
        for o in &old.0 {
            let Some(i) = self.0.iter().position(|q| q.key == o.key) else {
                self.0.push(Question { retired: true, ..o.clone() });
                continue;
            };
            let q = &mut self.0[i];
            let path = format!("questions[{i}]");
            if q.kind != o.kind {
                return Err(FieldError::new(
                    format!("{path}.kind"),
                    format!(
                        "question {:?} is a {} question with answers; add a new key instead",
                        q.key,
                        o.kind.as_str()
                    ),
                ));
            }
            if q.kind == QuestionKind::Rating && q.scale != o.scale {
                return Err(FieldError::new(
                    format!("{path}.scale"),
                    format!("question {:?} keeps its scale; add a new key for another one", q.key),
                ));
            }
            for option in &o.options {
                if !q.options.iter().any(|n| n.key == option.key) {
                    q.options.push(ChoiceOption { retired: true, ..option.clone() });
                }
            }
        }
        Ok(self)
    }

    /// Parses and checks the `answers` of one response against these questions; `main`
    /// decides which questions were shown. Returns the canonical answers, or every problem.
    pub fn check_answers(
        &self,
        answers: &serde_json::Map<String, Value>,
        main: MainAnswer<'_>,
        max_text_chars: usize,
    ) -> Result<Answers, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut out = Answers::new();
        // The main options first: they decide what else was shown.
        let main_answer = match (self.main(), answers.get(MAIN)) {
            (Some(q), Some(v)) => parse_answer(q, v, max_text_chars).map_err(|e| errors.extend(e)).ok(),
            _ => None,
        };
        let main_options: &[String] = main_answer.as_ref().map_or(main.options, |a| &a.options[..]);
        if let Some(a) = main_answer.clone() {
            out.insert(MAIN.to_string(), a);
        }
        for (key, value) in answers {
            if key == MAIN {
                continue;
            }
            let field = format!("answers.{key}");
            let Some(q) = self.get(key) else {
                errors.push(FieldError::new(field, format!("no question {key:?} in this survey")));
                continue;
            };
            if q.retired {
                errors.push(FieldError::new(field, format!("question {key:?} is retired")));
                continue;
            }
            if let Some(why) = q
                .show_if
                .as_ref()
                .and_then(|s| hidden_because(s, MainAnswer { options: main_options, ..main }))
            {
                errors.push(FieldError::new(field, format!("question {key:?} is not shown {why}")));
                continue;
            }
            match parse_answer(q, value, max_text_chars) {
                Ok(a) => {
                    out.insert(key.clone(), a);
                }
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// Why `show_if` hides its question for this main answer, in words; `None`: shown.
fn hidden_because(show_if: &ShowIf, main: MainAnswer<'_>) -> Option<String> {
    if !show_if.bands.is_empty() {
        let band = match (main.score, main.scale) {
            (Some(score), Some(scale)) => Some(Band::of(main.kind, scale, score)),
            _ => None,
        };
        if !band.is_some_and(|b| show_if.bands.contains(&b)) {
            let wanted: Vec<&str> = show_if.bands.iter().map(|b| b.as_str()).collect();
            return Some(match band {
                Some(b) => format!("to a {} (it is shown to: {})", b.as_str(), wanted.join(", ")),
                None => format!("without a score (it is shown to: {})", wanted.join(", ")),
            });
        }
    }
    if !show_if.options.is_empty() && !main.options.iter().any(|o| show_if.options.contains(o)) {
        return Some(format!("for this main answer (it is shown for: {})", show_if.options.join(", ")));
    }
    None
}

/// One value as sent, checked against its question: `field` errors name the question and
/// the option.
fn parse_answer(q: &Question, value: &Value, max_text_chars: usize) -> Result<Answer, Vec<FieldError>> {
    let field = format!("answers.{}", q.key);
    let err = |f: &str, m: String| Err(vec![FieldError::new(f, m)]);
    match q.kind {
        QuestionKind::Rating => {
            let scale = q.scale.unwrap_or(Scale { min: 1, max: 5 });
            match value.as_i64().and_then(|v| scale.score(v)) {
                Some(score) => Ok(Answer { rating: Some(score.get()), ..Answer::default() }),
                None => err(&field, format!("must be a whole number {}..={}", scale.min, scale.max)),
            }
        }
        QuestionKind::Text => match value.as_str().map(str::trim) {
            Some(t) if !t.is_empty() && t.chars().count() <= max_text_chars => {
                Ok(Answer { text: Some(t.to_string()), ..Answer::default() })
            }
            _ => err(&field, format!("must be a text of 1 to {max_text_chars} characters")),
        },
        QuestionKind::Choice => {
            let (picked, other) = match value {
                Value::String(s) => (vec![Value::String(s.clone())], None),
                Value::Array(a) => (a.clone(), None),
                Value::Object(o) if o.keys().all(|k| k == "options" || k == "other") => {
                    let picked = match o.get("options") {
                        Some(Value::Array(a)) => a.clone(),
                        Some(s @ Value::String(_)) => vec![s.clone()],
                        _ => return err(&format!("{field}.options"), "must list the option keys picked".into()),
                    };
                    (picked, o.get("other"))
                }
                _ => {
                    return err(&field, "must be an option key, a list of option keys, or {\"options\": [...], \"other\": \"...\"}".into())
                }
            };
            let mut errors = Vec::new();
            let mut options: Vec<String> = Vec::new();
            for v in &picked {
                let Some(key) = v.as_str() else {
                    errors.push(FieldError::new(&field, "option keys are strings"));
                    continue;
                };
                match q.options.iter().find(|o| o.key == key) {
                    None => errors.push(FieldError::new(
                        &field,
                        format!("unknown option {key:?}; the options are {}", active_keys(q)),
                    )),
                    Some(o) if o.retired => {
                        errors.push(FieldError::new(&field, format!("option {key:?} is retired")))
                    }
                    Some(_) if options.iter().any(|k| k == key) => {
                        errors.push(FieldError::new(&field, format!("option {key:?} is picked twice")))
                    }
                    Some(_) => options.push(key.to_string()),
                }
            }
            let max = if q.multiple { q.max_picks.map_or(usize::MAX, usize::from) } else { 1 };
            if picked.is_empty() {
                errors.push(FieldError::new(&field, "pick at least one option"));
            } else if picked.len() > max {
                errors.push(FieldError::new(
                    &field,
                    format!(
                        "takes at most {max} option{}, got {}",
                        if max == 1 { "" } else { "s" },
                        picked.len()
                    ),
                ));
            }
            let chose_other = q.other && options.iter().any(|k| k == OTHER);
            let other = match other {
                None | Some(Value::Null) if chose_other => {
                    errors.push(FieldError::new(
                        format!("{field}.other"),
                        format!("is required when option {OTHER:?} is picked"),
                    ));
                    None
                }
                None | Some(Value::Null) => None,
                Some(_) if !chose_other => {
                    errors.push(FieldError::new(
                        format!("{field}.other"),
                        format!("is only for option {OTHER:?} of a question that allows it"),
                    ));
                    None
                }
                Some(v) => match v.as_str().map(str::trim) {
                    Some(t) if !t.is_empty() && t.chars().count() <= MAX_OTHER_CHARS => Some(t.to_string()),
                    _ => {
                        errors.push(FieldError::new(
                            format!("{field}.other"),
                            format!("must be a text of 1 to {MAX_OTHER_CHARS} characters"),
                        ));
                        None
                    }
                },
            };
            if errors.is_empty() {
                Ok(Answer { options, other, ..Answer::default() })
            } else {
                Err(errors)
            }
        }
    }
}

fn active_keys(q: &Question) -> String {
    let keys: Vec<&str> = q.options.iter().filter(|o| !o.retired).map(|o| o.key.as_str()).collect();
    keys.join(", ")
}

fn check_key(key: &str, path: &str, errors: &mut Vec<FieldError>) {
    let ok = (1..=MAX_KEY_CHARS).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        errors.push(FieldError::new(path, format!("must be 1 to {MAX_KEY_CHARS} of a-z, 0-9 and _")));
    }
}

fn check_locales(locales: &BTreeMap<String, String>, max: usize, path: &str, errors: &mut Vec<FieldError>) {
    if locales.len() > MAX_LOCALES {
        errors.push(FieldError::new(path, format!("at most {MAX_LOCALES} locales")));
    }
    for (locale, text) in locales {
        if is_locale_tag(locale) {
            check_text(text, max, &format!("{path}.{locale}"), errors);
        } else {
            errors.push(FieldError::new(
                format!("{path}.{locale}"),
                "must be a language tag such as `de` or `pt-BR`",
            ));
        }
    }
}

fn check_question(
    q: &Question,
    is_main: bool,
    kind: SurveyKind,
    main: Option<&Question>,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let at = |f: &str| format!("{path}.{f}");
    check_key(&q.key, &at("key"), errors);
    match (&q.text, is_main) {
        (Some(_), true) => {
            errors.push(FieldError::new(at("text"), "the main question's text is the survey's `question`"))
        }
        (None, false) => errors.push(FieldError::new(at("text"), "is required")),
        (Some(t), false) => check_text(t, MAX_QUESTION_CHARS, &at("text"), errors),
        (None, true) => {}
    }
    if is_main && !q.locales.is_empty() {
        errors.push(FieldError::new(at("locales"), "translate the main question in `presentation.locales`"));
    }
    check_locales(&q.locales, MAX_QUESTION_CHARS, &at("locales"), errors);
    if is_main && q.kind != QuestionKind::Choice {
        errors.push(FieldError::new(at("kind"), "the main question of a choice survey is a `choice`"));
    }
    let choice = q.kind == QuestionKind::Choice;
    if !choice && (!q.options.is_empty() || q.multiple || q.max_picks.is_some() || q.other || q.shuffle) {
        errors.push(FieldError::new(
            at("options"),
            "options, multiple, max_picks, other and shuffle are for `choice` questions",
        ));
    }
    if choice {
        let active = q.options.iter().filter(|o| !o.retired).count();
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&active) {
            errors.push(FieldError::new(
                at("options"),
                format!("a choice offers {MIN_OPTIONS} to {MAX_OPTIONS} options, not {active}"),
            ));
        }
        if q.options.len() > MAX_STORED_OPTIONS {
            errors.push(FieldError::new(
                at("options"),
                format!("at most {MAX_STORED_OPTIONS} options, retired ones included"),
            ));
        }
        let mut keys = HashSet::new();
        for (j, o) in q.options.iter().enumerate() {
            let opath = at(&format!("options[{j}]"));
            check_key(&o.key, &format!("{opath}.key"), errors);
            if !keys.insert(o.key.as_str()) {
                errors.push(FieldError::new(format!("{opath}.key"), format!("{:?} is used twice", o.key)));
            }
            check_text(&o.label, MAX_LABEL_CHARS, &format!("{opath}.label"), errors);
            check_locales(&o.locales, MAX_LABEL_CHARS, &format!("{opath}.locales"), errors);
        }
        if q.other && !q.options.iter().any(|o| o.key == OTHER && !o.retired) {
            errors.push(FieldError::new(
                at("other"),
                format!("needs an option keyed {OTHER:?} (its label is yours)"),
            ));
        }
        match (q.multiple, q.max_picks) {
            (false, Some(_)) => errors.push(FieldError::new(at("max_picks"), "needs `multiple`")),
            (true, Some(n)) if n == 0 || usize::from(n) > MAX_OPTIONS => {
                errors.push(FieldError::new(at("max_picks"), format!("must be 1 to {MAX_OPTIONS}")))
            }
            _ => {}
        }
    }
    match (q.kind, q.scale) {
        (QuestionKind::Rating, Some(Scale { min: 1, max: 5 } | Scale { min: 0, max: 10 })) => {}
        (QuestionKind::Rating, _) => errors
            .push(FieldError::new(at("scale"), "is {\"min\": 1, \"max\": 5} or {\"min\": 0, \"max\": 10}")),
        (_, Some(_)) => errors.push(FieldError::new(at("scale"), "is for `rating` questions")),
        (_, None) => {}
    }
    if q.kind != QuestionKind::Rating && !q.labels.is_empty() {
        errors.push(FieldError::new(at("labels"), "are for `rating` questions"));
    }
    for (name, label) in [("low", &q.labels.low), ("high", &q.labels.high)] {
        if let Some(label) = label {
            check_text(label, MAX_LABEL_CHARS, &at(&format!("labels.{name}")), errors);
        }
    }
    if let Some(show_if) = &q.show_if {
        if is_main {
            errors.push(FieldError::new(at("show_if"), "the main question is always shown"));
        }
        for band in &show_if.bands {
            if !band.fits(kind) {
                errors.push(FieldError::new(
                    at("show_if.bands"),
                    format!("{:?} is not a band of {}", band.as_str(), kind.with_article()),
                ));
            }
        }
        for key in &show_if.options {
            if !main.is_some_and(|m| m.options.iter().any(|o| &o.key == key)) {
                errors.push(FieldError::new(
                    at("show_if.options"),
                    format!("{key:?} is not an option of the main question"),
                ));
            }
        }
        if show_if.bands.is_empty() && show_if.options.is_empty() {
            errors.push(FieldError::new(
                at("show_if"),
                "names bands or options; leave it out to always show the question",
            ));
        }
    }
}

#[cfg(test)]
#[path = "questions_tests.rs"]
mod tests;
