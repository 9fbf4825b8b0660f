//! Filters shared by the reports and the list, parsed once at the edge.

use crate::text::sentiment::Tone;
use feedbackd_domain::SurveyKind;

/// An NPS band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    Detractor,
    Passive,
    Promoter,
}

impl std::str::FromStr for Band {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "detractor" => Ok(Band::Detractor),
            "passive" => Ok(Band::Passive),
            "promoter" => Ok(Band::Promoter),
            _ => Err("must be detractor, passive or promoter".into()),
        }
    }
}

/// Everything but the time range that narrows the answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub score_min: Option<i16>,
    pub score_max: Option<i16>,
    pub band: Option<Band>,
    /// Attribute key and the values it may have (one value: equality).
    pub attributes: Vec<(String, Vec<String>)>,
    /// Question key and the options (or ratings, as text) of which the answer has one.
    pub answers: Vec<(String, Vec<String>)>,
    pub has_comment: Option<bool>,
    pub categories: Vec<String>,
    /// A web-search style full-text query on comments.
    pub text: Option<String>,
    /// Also the answers that repeat an earlier one (flagged `duplicate_of`), which the
    /// figures leave out. Only raw rows have them, so the rollups cannot answer this.
    pub include_duplicates: bool,
    /// Only comments of this tone (VADER's ±0.05 thresholds); unscored answers never match.
    pub sentiment: Option<Tone>,
    /// Only answers whose comment names one of these themes (keys).
    pub themes: Vec<String>,
}

/// Values longer than this are cut in the rollups, so equality on them needs raw rows.
pub const ROLLUP_VALUE_CHARS: usize = 128;

/// What counts are split by: the values of an attribute, the options of a question, or
/// the themes of comments (`""`: the comments analysed, whatever their themes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segmenting {
    Attribute(String),
    Question(String),
    Themes,
}

/// The rollups' dimension of the themes of comments (no indexed attribute starts with `#`).
pub const THEME_DIMENSION: &str = "#theme";

/// Whether an attribute key can be indexed: the rollups' own dimensions start with `?`
/// (questions) and `#` (themes), so an attribute named like one would mix with it.
pub fn is_reserved_dimension(key: &str) -> bool {
    key.starts_with(['?', '#'])
}

impl Segmenting {
    /// The rollups' dimension: the attribute's name, `?` and the question's key, or
    /// [`THEME_DIMENSION`] (no indexed attribute starts with `?` or `#`).
    pub fn dimension(&self) -> String {
        match self {
            Segmenting::Attribute(key) => key.clone(),
            Segmenting::Question(key) => question_dimension(key),
            Segmenting::Themes => THEME_DIMENSION.to_string(),
        }
    }
}

/// The rollups' dimension of a question's answers.
pub fn question_dimension(key: &str) -> String {
    format!("?{key}")
}

/// Which rollup rows can answer a filter exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollupSelection {
    /// No filter: the totals (hourly and quarter-hour).
    Total,
    /// One indexed attribute equal to one value: that value's hourly rows.
    Value { dimension: String, value: String },
}

impl Filter {
    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// The rollups that answer this filter exactly, or `None` when only raw rows can.
    pub fn rollup_selection(&self, indexed: &[String]) -> Option<RollupSelection> {
        if self.is_empty() {
            return Some(RollupSelection::Total);
        }
        let only_attribute = Filter { attributes: vec![], ..self.clone() }.is_empty();
        let only_answer = Filter { answers: vec![], ..self.clone() }.is_empty();
        let only_theme = Filter { themes: vec![], ..self.clone() }.is_empty();
        if let ([key], true) = (self.themes.as_slice(), only_theme) {
            // Every theme of every analysed comment is in the rollups.
            return Some(RollupSelection::Value {
                dimension: THEME_DIMENSION.to_string(),
                value: key.clone(),
            });
        }
        match (self.attributes.as_slice(), self.answers.as_slice()) {
            ([(key, values)], []) if only_attribute && values.len() == 1 => {
                let value = &values[0];
                (indexed.contains(key) && value.chars().count() < ROLLUP_VALUE_CHARS)
                    .then(|| RollupSelection::Value { dimension: key.clone(), value: value.clone() })
            }
            // Every answered question is in the rollups, by option.
            ([], [(key, values)]) if only_answer && values.len() == 1 => {
                Some(RollupSelection::Value { dimension: question_dimension(key), value: values[0].clone() })
            }
            _ => None,
        }
    }

    /// The inclusive score range after applying the band, or why the band does not apply.
    pub fn score_range(&self, kind: SurveyKind) -> Result<(Option<i16>, Option<i16>), String> {
        let (mut lo, mut hi) = (self.score_min, self.score_max);
        if let Some(band) = self.band {
            if kind != SurveyKind::Nps {
                return Err("bands apply to NPS surveys only".into());
            }
            let (b_lo, b_hi) = match band {
                Band::Detractor => (0, 6),
                Band::Passive => (7, 8),
                Band::Promoter => (9, 10),
            };
            lo = Some(lo.map_or(b_lo, |l| l.max(b_lo)));
            hi = Some(hi.map_or(b_hi, |h| h.min(b_hi)));
        }
        Ok((lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_time_or_one_indexed_value_uses_rollups() {
        let indexed = vec!["platform".to_string()];
        assert_eq!(Filter::default().rollup_selection(&indexed), Some(RollupSelection::Total));
        let one = Filter { attributes: vec![("platform".into(), vec!["ios".into()])], ..Filter::default() };
        assert!(matches!(one.rollup_selection(&indexed), Some(RollupSelection::Value { .. })));
        let set = Filter {
            attributes: vec![("platform".into(), vec!["ios".into(), "web".into()])],
            ..Filter::default()
        };
        assert_eq!(set.rollup_selection(&indexed), None);
        let other = Filter { attributes: vec![("plan".into(), vec!["pro".into()])], ..Filter::default() };
        assert_eq!(other.rollup_selection(&indexed), None);
        let scored = Filter { score_min: Some(3), ..one };
        assert_eq!(scored.rollup_selection(&indexed), None);
    }

    #[test]
    fn bands_narrow_the_score_range() {
        let f = Filter { band: Some(Band::Passive), score_min: Some(8), ..Filter::default() };
        assert_eq!(f.score_range(SurveyKind::Nps), Ok((Some(8), Some(8))));
        assert!(f.score_range(SurveyKind::Csat).is_err());
    }
}
