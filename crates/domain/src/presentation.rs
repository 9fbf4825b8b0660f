//! What a widget shows: the scale's labels, the follow-up question (which may depend on the
//! score band), and translations. Stored in `surveys.presentation`; checked before every
//! write, so what is stored is always valid.

use super::{FieldError, SurveyKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Longest label of a scale end, in characters.
const MAX_LABEL_CHARS: usize = 100;
/// Longest question (main or follow-up), in characters.
const MAX_QUESTION_CHARS: usize = 500;
/// Most locales a survey may be translated into.
const MAX_LOCALES: usize = 40;

/// How a survey is presented. Every field is optional; `{}` is the plain survey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// Labels of the scale's ends ("Not at all likely" … "Extremely likely").
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    /// The question asked after the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpQuestion>,
    /// Translations by locale (`de`, `pt-BR`): the default texts are the survey's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locales: BTreeMap<String, LocalizedTexts>,
}

/// Labels shown at the low and high ends of the scale.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<String>,
}

impl Labels {
    pub(crate) fn is_empty(&self) -> bool {
        self.low.is_none() && self.high.is_none()
    }
}

/// The follow-up question. For NPS it may differ by score band: detractors (0–6), passives
/// (7–8) and promoters (9–10) are asked the band's question when it is set, else `question`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpQuestion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detractor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoter: Option<String>,
}

impl FollowUpQuestion {
    fn has_bands(&self) -> bool {
        self.detractor.is_some() || self.passive.is_some() || self.promoter.is_some()
    }
}

/// The texts of one locale; a missing text falls back to the default one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalizedTexts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpQuestion>,
}

impl Presentation {
    /// Every rule this presentation breaks for a survey of `kind`, with field paths under
    /// `presentation`.
    pub fn check(&self, kind: SurveyKind) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_labels(&self.labels, kind, "labels", &mut errors);
        if let Some(f) = &self.follow_up {
            check_follow_up(f, kind, "follow_up", &mut errors);
        }
        if self.locales.len() > MAX_LOCALES {
            errors.push(FieldError::new("locales", format!("at most {MAX_LOCALES} locales")));
        }
        for (locale, texts) in &self.locales {
            let path = format!("locales.{locale}");
            if !is_locale_tag(locale) {
                errors.push(FieldError::new(&path, "must be a language tag such as `de` or `pt-BR`"));
                continue;
            }
            if let Some(q) = &texts.question {
                check_text(q, MAX_QUESTION_CHARS, &format!("{path}.question"), &mut errors);
            }
            check_labels(&texts.labels, kind, &format!("{path}.labels"), &mut errors);
            if let Some(f) = &texts.follow_up {
                check_follow_up(f, kind, &format!("{path}.follow_up"), &mut errors);
            }
        }
        errors.into_iter().map(|e| e.under("presentation")).collect()
    }
}

fn check_labels(labels: &Labels, kind: SurveyKind, path: &str, errors: &mut Vec<FieldError>) {
    if kind == SurveyKind::Text && !labels.is_empty() {
        errors.push(FieldError::new(path, "a text survey has no scale to label"));
    }
    for (name, label) in [("low", &labels.low), ("high", &labels.high)] {
        if let Some(label) = label {
            check_text(label, MAX_LABEL_CHARS, &format!("{path}.{name}"), errors);
        }
    }
}

fn check_follow_up(f: &FollowUpQuestion, kind: SurveyKind, path: &str, errors: &mut Vec<FieldError>) {
    if f.has_bands() && kind != SurveyKind::Nps {
        errors.push(FieldError::new(
            path,
            "detractor/passive/promoter questions need an NPS survey; use `question`",
        ));
    }
    let texts = [("question", &f.question), ("detractor", &f.detractor), ("passive", &f.passive)];
    for (name, text) in texts.into_iter().chain([("promoter", &f.promoter)]) {
        if let Some(text) = text {
            check_text(text, MAX_QUESTION_CHARS, &format!("{path}.{name}"), errors);
        }
    }
}

pub(crate) fn check_text(text: &str, max: usize, path: &str, errors: &mut Vec<FieldError>) {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > max {
        errors.push(FieldError::new(path, format!("must be 1 to {max} characters")));
    }
}

/// A BCP 47-like tag: a 2–3 letter language, then up to three 1–8 character subtags.
pub(crate) fn is_locale_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or("");
    let language_ok = (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    let rest: Vec<&str> = parts.collect();
    language_ok
        && rest.len() <= 3
        && rest.iter().all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_questions_are_only_for_nps() {
        let p = Presentation {
            follow_up: Some(FollowUpQuestion {
                detractor: Some("What went wrong?".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(p.check(SurveyKind::Nps).is_empty());
        assert_eq!(p.check(SurveyKind::Csat)[0].field, "presentation.follow_up");
    }

    #[test]
    fn locales_are_tags_and_texts_are_bounded() {
        let mut p = Presentation::default();
        p.locales
            .insert("pt-BR".into(), LocalizedTexts { question: Some("Q?".into()), ..Default::default() });
        assert!(p.check(SurveyKind::Nps).is_empty());
        p.locales.insert("Deutsch".into(), LocalizedTexts::default());
        p.locales
            .insert("de".into(), LocalizedTexts { question: Some("x".repeat(501)), ..Default::default() });
        let fields: Vec<_> = p.check(SurveyKind::Nps).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["presentation.locales.Deutsch", "presentation.locales.de.question"]);
    }
}
