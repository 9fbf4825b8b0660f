//! Who should see a survey, and when: a sample rate, a recontact period, attribute filters
//! (alone or in any/all groups) and the widget's triggers. Stored in `surveys.targeting`;
//! checked before every write.

use super::triggers::Triggers;
use super::FieldError;
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Most filters on one survey, counting those inside groups.
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
    /// All must match the respondent's attributes; an element may be an `any`/`all` group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<FilterRule>,
    /// When the widget shows the survey on the page; none: as soon as the page loads.
    #[serde(default, skip_serializing_if = "Triggers::is_empty")]
    pub triggers: Triggers,
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
        Targeting {
            sample_rate: 1.0,
            recontact_days: 0,
            filters: Vec::new(),
            triggers: Triggers::default(),
            fatigue_exempt: false,
        }
    }
}

/// One element of `filters`: a filter, or a group of filters that combine with OR (`any`)
/// or AND (`all`). Groups hold filters only (one level), which is every boolean shape a
/// dashboard form offers without becoming a query language.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum FilterRule {
    One(AttributeFilter),
    Group(FilterGroup),
}

/// `{"any": [filter, …]}` (at least one matches) or `{"all": [filter, …]}` (every one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FilterGroup {
    Any(Vec<AttributeFilter>),
    All(Vec<AttributeFilter>),
}

/// Reads the map key by key rather than by trial as `untagged` would, so a mistake keeps
/// its path and serde's own message (`filters[0].op`: "unknown variant `like`", or
/// "unknown field `atribute`") instead of "did not match any variant".
impl<'de> Deserialize<'de> for FilterRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RuleVisitor)
    }
}

struct RuleVisitor;

const RULE_FIELDS: &[&str] = &["attribute", "op", "value", "any", "all"];

impl<'de> Visitor<'de> for RuleVisitor {
    type Value = FilterRule;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a filter {attribute, op, value} or a group {\"any\": [...]} / {\"all\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FilterRule, A::Error> {
        let (mut attribute, mut op, mut value, mut group) = (None, None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "attribute" => attribute = Some(map.next_value()?),
                "op" => op = Some(map.next_value()?),
                "value" => value = Some(map.next_value()?),
                "any" if group.is_none() => group = Some(FilterGroup::Any(map.next_value()?)),
                "all" if group.is_none() => group = Some(FilterGroup::All(map.next_value()?)),
                "any" | "all" => return Err(A::Error::custom("a group takes one of `any` and `all`")),
                other => return Err(A::Error::unknown_field(other, RULE_FIELDS)),
            }
        }
        match (group, attribute, op, value) {
            (Some(group), None, None, None) => Ok(FilterRule::Group(group)),
            (Some(_), ..) => {
                Err(A::Error::custom("a group holds `any` or `all` alone, not a filter's fields"))
            }
            (None, Some(attribute), Some(op), Some(value)) => {
                Ok(FilterRule::One(AttributeFilter { attribute, op, value }))
            }
            (None, attribute, op, _) => Err(A::Error::missing_field(if attribute.is_none() {
                "attribute"
            } else if op.is_none() {
                "op"
            } else {
                "value"
            })),
        }
    }
}

impl FilterRule {
    /// The filters in this element, with their paths under `filters[i]`.
    fn members(&self) -> Vec<(String, &AttributeFilter)> {
        match self {
            FilterRule::One(f) => vec![(String::new(), f)],
            FilterRule::Group(FilterGroup::Any(fs)) => {
                fs.iter().enumerate().map(|(j, f)| (format!(".any[{j}]"), f)).collect()
            }
            FilterRule::Group(FilterGroup::All(fs)) => {
                fs.iter().enumerate().map(|(j, f)| (format!(".all[{j}]"), f)).collect()
            }
        }
    }

    fn matches(&self, attributes: &HashMap<String, String>) -> bool {
        let one = |f: &AttributeFilter| f.matches(attributes.get(&f.attribute).map(String::as_str));
        match self {
            FilterRule::One(f) => one(f),
            FilterRule::Group(FilterGroup::Any(fs)) => fs.iter().any(one),
            FilterRule::Group(FilterGroup::All(fs)) => fs.iter().all(one),
        }
    }
}

/// One condition on a respondent attribute, e.g. `plan in [pro, team]` or
/// `app_version gte 3.2`. A respondent without the attribute matches no filter on it.
// `Filter` in the OpenAPI document, as it always was; here apart from the reports' filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Filter)]
#[serde(deny_unknown_fields)]
pub struct AttributeFilter {
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
        let total: usize = self.filters.iter().map(|r| r.members().len()).sum();
        if total > MAX_FILTERS {
            errors
                .push(FieldError::new("filters", format!("at most {MAX_FILTERS} filters, groups included")));
        }
        for (i, rule) in self.filters.iter().enumerate() {
            let members = rule.members();
            if members.is_empty() {
                errors.push(FieldError::new(format!("filters[{i}]"), "a group needs at least one filter"));
            }
            for (inner, f) in members {
                errors.extend(f.check().into_iter().map(|e| e.under(&format!("filters[{i}]{inner}"))));
            }
        }
        errors.extend(self.triggers.check());
        errors.into_iter().map(|e| e.under("targeting")).collect()
    }

    /// Whether a respondent with these attributes passes every element of `filters`.
    pub fn matches(&self, attributes: &HashMap<String, String>) -> bool {
        self.filters.iter().all(|rule| rule.matches(attributes))
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

impl AttributeFilter {
    /// Every rule this filter breaks, with paths relative to it.
    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.attribute.is_empty() || self.attribute.chars().count() > MAX_CHARS {
            errors.push(FieldError::new("attribute", "must be 1 to 256 characters"));
        }
        let list = matches!(self.op, FilterOp::In | FilterOp::NotIn);
        let values: Vec<&Scalar> = match &self.value {
            FilterValue::One(_) if list => {
                errors.push(FieldError::new("value", "`in` and `not_in` take a list"));
                return errors;
            }
            FilterValue::Many(_) if !list => {
                errors.push(FieldError::new("value", "only `in` and `not_in` take a list"));
                return errors;
            }
            FilterValue::One(v) => vec![v],
            FilterValue::Many(vs) if vs.is_empty() || vs.len() > MAX_VALUES => {
                errors.push(FieldError::new("value", "must hold 1 to 100 values"));
                return errors;
            }
            FilterValue::Many(vs) => vs.iter().collect(),
        };
        if values.iter().any(|v| v.text().chars().count() > MAX_CHARS) {
            errors.push(FieldError::new("value", "values are at most 256 characters"));
        }
        let ordered = matches!(self.op, FilterOp::Lt | FilterOp::Lte | FilterOp::Gt | FilterOp::Gte);
        if ordered && Version::parse(&values[0].text()).is_none() {
            errors.push(FieldError::new("value", "comparisons need a version or number such as 3.2"));
        }
        errors
    }

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

    #[test]
    fn groups_combine_filters_with_any_and_all() {
        let t: Targeting = serde_json::from_value(serde_json::json!({"filters": [
            {"attribute": "country", "op": "eq", "value": "DE"},
            {"any": [{"attribute": "plan", "op": "eq", "value": "pro"},
                     {"attribute": "seats", "op": "gte", "value": 10}]},
            {"all": [{"attribute": "app_version", "op": "gte", "value": "3"},
                     {"attribute": "app_version", "op": "lt", "value": "4"}]}
        ]}))
        .unwrap();
        assert!(t.check().is_empty(), "{:?}", t.check());
        let attrs = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let de =
            |more: &[(&str, &str)]| attrs(&[&[("country", "DE"), ("app_version", "3.4")], more].concat());
        assert!(t.matches(&de(&[("plan", "pro")])));
        assert!(t.matches(&de(&[("plan", "free"), ("seats", "12")])));
        assert!(!t.matches(&de(&[("plan", "free"), ("seats", "2")])));
        assert!(!t.matches(&attrs(&[("country", "DE"), ("plan", "pro"), ("app_version", "4.0")])));
        assert!(!t.matches(&attrs(&[("country", "FR"), ("plan", "pro"), ("app_version", "3.4")])));
        // The wire shape survives a round trip, groups and all.
        let back: Targeting = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn groups_are_checked_by_path_and_count_toward_the_limit() {
        let filter = serde_json::json!({"attribute": "plan", "op": "eq", "value": "pro"});
        let t: Targeting = serde_json::from_value(serde_json::json!({"filters": [
            filter, {"any": []}, {"all": [filter, {"attribute": "v", "op": "in", "value": "x"}]}
        ], "triggers": {"delay_ms": 700000}}))
        .unwrap();
        let fields: Vec<_> = t.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["targeting.filters[1]", "targeting.filters[2].all[1].value", "targeting.triggers.delay_ms"]
        );
        let crowded: Targeting =
            serde_json::from_value(serde_json::json!({"filters": [filter, {"any": vec![filter; 20]}]}))
                .unwrap();
        assert_eq!(crowded.check()[0].field, "targeting.filters");
    }

    #[test]
    fn a_mistyped_filter_is_named_not_lost_in_the_variants() {
        let err = serde_json::from_value::<Targeting>(serde_json::json!({"filters": [
            {"atribute": "plan", "op": "eq", "value": "pro"}]}))
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `atribute`"), "{err}");
        let nested = serde_json::from_value::<Targeting>(serde_json::json!({"filters": [
            {"any": [{"attribute": "plan", "op": "like", "value": "pro"}]}]}))
        .unwrap_err()
        .to_string();
        assert!(nested.contains("unknown variant `like`"), "{nested}");
        // The path reaches into the group, as the API's problem names it.
        let body = r#"{"filters": [{"any": [{"attribute": "plan", "op": "eq", "value": "x"},
                                            {"attribute": "plan", "op": "like", "value": "x"}]}]}"#;
        let err =
            serde_path_to_error::deserialize::<_, Targeting>(&mut serde_json::Deserializer::from_str(body))
                .unwrap_err();
        assert_eq!(err.path().to_string(), "filters[0].any[1].op");
        let bad = |v: serde_json::Value| serde_json::from_value::<Targeting>(v).unwrap_err().to_string();
        assert!(
            bad(serde_json::json!({"filters": [{"any": [], "all": []}]})).contains("one of `any` and `all`")
        );
        assert!(bad(serde_json::json!({"filters": [{"any": [], "op": "eq"}]})).contains("alone"));
        assert!(bad(serde_json::json!({"filters": [{"attribute": "plan", "op": "eq"}]}))
            .contains("missing field `value`"));
        assert!(bad(serde_json::json!({"filters": ["plan"]})).contains("a filter"));
    }
}
