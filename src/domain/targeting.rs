//! Who should see a survey: a sample rate, a recontact period and attribute filters.
//! Stored in `surveys.targeting`; checked before every write.

use super::FieldError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Most filters on one survey.
const MAX_FILTERS: usize = 20;
/// Most values in an `in` / `not_in` list.
const MAX_VALUES: usize = 100;
/// Longest attribute name or value in a filter.
const MAX_CHARS: usize = 256;
/// Longest recontact period, in days (ten years).
const MAX_RECONTACT_DAYS: u32 = 3650;

/// Display rules. `{}` shows the survey to everyone, as often as the widget asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targeting {
    /// Share of respondents who are asked, 0..=1. Decided per respondent and survey by a
    /// hash, so the same person always gets the same answer.
    #[serde(default = "one")]
    #[schema(minimum = 0, maximum = 1, default = 1)]
    pub sample_rate: f64,
    /// Do not ask a person again within this many days of answering or dismissing (0: no limit).
    #[serde(default)]
    #[schema(maximum = 3650)]
    pub recontact_days: u32,
    /// All must match the respondent's attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// Escapes the project's fatigue rules, and does not count toward them: for a survey
    /// the person opens themselves (a feedback button).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fatigue_exempt: bool,
}

fn one() -> f64 {
    1.0
}

impl Default for Targeting {
    fn default() -> Self {
        Targeting { sample_rate: 1.0, recontact_days: 0, filters: Vec::new(), fatigue_exempt: false }
    }
}

/// One condition on a respondent attribute, e.g. `plan in [pro, team]` or
/// `app_version gte 3.2`. A respondent without the attribute matches no filter on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub attribute: String,
    pub op: FilterOp,
    pub value: FilterValue,
}

/// How a filter compares. `lt`, `lte`, `gt` and `gte` compare versions (`3.10 > 3.9`,
/// `3.2 == 3.2.0`, `3.2.0-beta < 3.2.0`); plain numbers are one-part versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    Eq,
    Ne,
    In,
    NotIn,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A value, or a list of values for `in` / `not_in`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum FilterValue {
    One(Scalar),
    Many(Vec<Scalar>),
}

/// A string, number or boolean; compared as its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

impl Targeting {
    /// Every rule these display rules break, with field paths under `targeting`.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !(0.0..=1.0).contains(&self.sample_rate) {
            errors.push(FieldError::new("sample_rate", "must be between 0 and 1"));
        }
        if self.recontact_days > MAX_RECONTACT_DAYS {
            errors.push(FieldError::new("recontact_days", format!("at most {MAX_RECONTACT_DAYS}")));
        }
        if self.filters.len() > MAX_FILTERS {
            errors.push(FieldError::new("filters", format!("at most {MAX_FILTERS} filters")));
        }
        for (i, f) in self.filters.iter().enumerate() {
            let path = format!("filters[{i}]");
            if f.attribute.is_empty() || f.attribute.chars().count() > MAX_CHARS {
                errors.push(FieldError::new(format!("{path}.attribute"), "must be 1 to 256 characters"));
            }
            let list = matches!(f.op, FilterOp::In | FilterOp::NotIn);
            let values: Vec<&Scalar> = match &f.value {
                FilterValue::One(_) if list => {
                    errors.push(FieldError::new(format!("{path}.value"), "`in` and `not_in` take a list"));
                    continue;
                }
                FilterValue::Many(_) if !list => {
                    errors
                        .push(FieldError::new(format!("{path}.value"), "only `in` and `not_in` take a list"));
                    continue;
                }
                FilterValue::One(v) => vec![v],
                FilterValue::Many(vs) if vs.is_empty() || vs.len() > MAX_VALUES => {
                    errors.push(FieldError::new(format!("{path}.value"), "must hold 1 to 100 values"));
                    continue;
                }
                FilterValue::Many(vs) => vs.iter().collect(),
            };
            if values.iter().any(|v| v.text().chars().count() > MAX_CHARS) {
                errors.push(FieldError::new(format!("{path}.value"), "values are at most 256 characters"));
            }
            let ordered = matches!(f.op, FilterOp::Lt | FilterOp::Lte | FilterOp::Gt | FilterOp::Gte);
            if ordered && Version::parse(&values[0].text()).is_none() {
                errors.push(FieldError::new(
                    format!("{path}.value"),
                    "comparisons need a version or number such as 3.2",
                ));
            }
        }
        errors.into_iter().map(|e| e.under("targeting")).collect()
    }

    /// Whether a respondent with these attributes passes every filter.
    pub fn matches(&self, attributes: &HashMap<String, String>) -> bool {
        self.filters.iter().all(|f| f.matches(attributes.get(&f.attribute).map(String::as_str)))
    }

    /// Whether the respondent falls in the sample: the first 64 bits of
    /// SHA-256(survey id ‖ respondent id), as a fraction of 2^64, below the rate.
    pub fn samples(&self, survey_id: Uuid, respondent_id: &str) -> bool {
        let mut hasher = Sha256::new();
        hasher.update(survey_id.as_bytes());
        hasher.update(respondent_id.as_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let fraction = u64::from_be_bytes(first) as f64 / 2f64.powi(64);
        fraction < self.sample_rate
    }
}

impl Filter {
    fn matches(&self, actual: Option<&str>) -> bool {
        let Some(actual) = actual else { return false };
        let values: Vec<String> = match &self.value {
            FilterValue::One(v) => vec![v.text()],
            FilterValue::Many(vs) => vs.iter().map(Scalar::text).collect(),
        };
        let compare = || Some(Version::parse(actual)?.cmp(&Version::parse(values.first()?)?));
        match self.op {
            FilterOp::Eq => values.iter().any(|v| v == actual),
            FilterOp::Ne => values.iter().all(|v| v != actual),
            FilterOp::In => values.iter().any(|v| v == actual),
            FilterOp::NotIn => values.iter().all(|v| v != actual),
            FilterOp::Lt => compare() == Some(Ordering::Less),
            FilterOp::Lte => matches!(compare(), Some(Ordering::Less | Ordering::Equal)),
            FilterOp::Gt => compare() == Some(Ordering::Greater),
            FilterOp::Gte => matches!(compare(), Some(Ordering::Greater | Ordering::Equal)),
        }
    }
}

/// A dotted version (`3`, `3.2`, `v3.10.1`, `3.2.0-beta.1`), compared part by part as
/// numbers, missing parts as zero; a pre-release sorts before its release.
#[derive(Debug, PartialEq, Eq)]
struct Version {
    parts: Vec<u64>,
    pre: Option<String>,
}

impl Version {
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let raw = raw.strip_prefix(['v', 'V']).unwrap_or(raw);
        let (core, pre) = match raw.split_once(['-', '+']) {
            Some((core, pre)) => (core, Some(pre.to_string())),
            None => (raw, None),
        };
        let parts = core.split('.').map(|p| p.parse::<u64>().ok()).collect::<Option<Vec<_>>>()?;
        (!parts.is_empty() && parts.len() <= 8).then_some(Version { parts, pre })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        let part = |v: &Version, i: usize| v.parts.get(i).copied().unwrap_or(0);
        (0..n).map(|i| part(self, i).cmp(&part(other, i))).find(|o| o.is_ne()).unwrap_or_else(|| {
            match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_compare_by_number_not_text() {
        assert!(v("3.10") > v("3.9"));
        assert_eq!(v("3.2").cmp(&v("3.2.0")), Ordering::Equal);
        assert!(v("3.2.0-beta") < v("3.2.0"));
        assert!(v("v4") > v("3.99.99"));
        assert!(Version::parse("three").is_none());
    }

    #[test]
    fn filters_match_attributes() {
        let t: Targeting = serde_json::from_value(serde_json::json!({"filters": [
            {"attribute": "plan", "op": "in", "value": ["pro", "team"]},
            {"attribute": "app_version", "op": "gte", "value": 3.2}
        ]}))
        .unwrap();
        assert!(t.check().is_empty());
        let attrs = |plan: &str, version: &str| {
            HashMap::from([("plan".to_string(), plan.to_string()), ("app_version".into(), version.into())])
        };
        assert!(t.matches(&attrs("pro", "3.10.0")));
        assert!(!t.matches(&attrs("free", "3.10.0")));
        assert!(!t.matches(&attrs("team", "3.1.9")));
        assert!(!t.matches(&HashMap::new()));
    }

    #[test]
    fn rejects_lists_for_scalar_ops_and_rates_out_of_range() {
        let t: Targeting = serde_json::from_value(serde_json::json!({"sample_rate": 1.5, "filters": [
            {"attribute": "plan", "op": "eq", "value": ["pro"]},
            {"attribute": "v", "op": "gt", "value": "abc"}
        ]}))
        .unwrap();
        let fields: Vec<_> = t.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["targeting.sample_rate", "targeting.filters[0].value", "targeting.filters[1].value"]
        );
    }
}
