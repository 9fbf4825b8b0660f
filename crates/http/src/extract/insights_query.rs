//! Query parameters of the read API, parsed once into domain types. Every bad or unknown
//! parameter is a 422 naming it.

use crate::extract::SecretKey;
use crate::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use feedbackd_core::insights::buckets::start_of_local_day;
use feedbackd_core::insights::Filter;
use feedbackd_core::insights::{Cursor, ReportParams};
use feedbackd_core::store::Project;
use feedbackd_domain::FieldError;
use feedbackd_domain::Scope;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

/// Parameters every report and the list take.
const COMMON: &[&str] = &[
    "from",
    "to",
    "tz",
    "score_min",
    "score_max",
    "band",
    "has_comment",
    "category",
    "q",
    "sentiment",
    "theme",
];
/// Longest full-text query.
const MAX_QUERY_CHARS: usize = 256;
/// Most themes one filter names.
const MAX_THEMES: usize = 20;

/// `attributes[KEY]` and `answers[KEY]` (objects in OpenAPI's `deepObject` style, which
/// generated clients can send) as `attributes.KEY` and `answers.KEY`, the form the read
/// API documents first.
fn dotted_attribute(name: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    for object in ["attributes", "answers"] {
        let inner =
            name.strip_prefix(object).and_then(|r| r.strip_prefix('[')).and_then(|r| r.strip_suffix(']'));
        if let Some(key) = inner {
            return format!("{object}.{key}").into();
        }
    }
    name
}

/// A read of the insights API: the key's project (the key must hold `responses:read`) and
/// the query string, which [`InsightsRequest::params`] checks as a whole.
pub struct InsightsRequest {
    pub project: Arc<Project>,
    query: String,
}

impl FromRequest for InsightsRequest {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = SecretKey::from_request(req, payload);
        let query = req.query_string().to_string();
        Box::pin(async move {
            let project = key.await?.require(Scope::ResponsesRead)?.project.clone();
            Ok(InsightsRequest { project, query })
        })
    }
}

impl InsightsRequest {
    /// The range and filters every read takes, and what `read` takes of the parameters
    /// `extra` names; every unknown or bad parameter is a 422 naming it, all at once.
    pub fn params<T>(
        &self,
        extra: &[&str],
        read: impl FnOnce(&mut Query) -> T,
    ) -> Result<(T, ReportParams), ApiError> {
        let mut q = Query::parse(&self.query, extra);
        let own = read(&mut q);
        let params = q.report_params();
        q.finish()?;
        Ok((own, params))
    }
}

/// The parameters of one request, by name, each with its values in order.
pub struct Query {
    params: BTreeMap<String, Vec<String>>,
    errors: Vec<FieldError>,
}

impl Query {
    /// Parses `query_string`, refusing names outside `COMMON`, `attributes.*` (or
    /// `attributes[*]`) and `extra`.
    pub fn parse(query_string: &str, extra: &[&str]) -> Query {
        let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut errors = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
            let name = dotted_attribute(name);
            let known = COMMON.contains(&name.as_ref())
                || extra.contains(&name.as_ref())
                || name.strip_prefix("attributes.").is_some_and(|k| !k.is_empty() && k.len() <= 64)
                || name.strip_prefix("answers.").is_some_and(|k| !k.is_empty() && k.len() <= 40);
            if !known {
                errors.push(FieldError::new(name.as_ref(), "is not a parameter of this endpoint"));
                continue;
            }
            params.entry(name.into_owned()).or_default().push(value.into_owned());
        }
        Query { params, errors }
    }

    /// Records that `field` is bad (reported with every other at [`Query::finish`]).
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// The single value of `name`, if given.
    pub fn one(&mut self, name: &str) -> Option<String> {
        let values = self.params.get(name)?.clone();
        if values.len() > 1 {
            self.error(name, "is given more than once");
        }
        values.into_iter().next()
    }

    /// `name` parsed with `FromStr`, if given.
    pub fn parsed<T: FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        let raw = self.one(name)?;
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(name, format!("must be {what}"));
                None
            }
        }
    }

    /// The attribute key to break down by (`by`, with or without `attributes.`); platform,
    /// the segment most reviews start with, by default.
    pub fn breakdown_key(&mut self) -> String {
        let Some(by) = self.one("by") else { return "platform".to_string() };
        if let Some(question) = by.strip_prefix("answers.") {
            if question.is_empty() || question.len() > 40 {
                self.error("by", "must name a question key of 1 to 40 characters");
            }
            return by;
        }
        match by.strip_prefix("attributes.").unwrap_or(&by) {
            k if k.is_empty() || k.len() > 64 => {
                self.error("by", "must name an attribute key of 1 to 64 characters");
                "platform".to_string()
            }
            k => k.to_string(),
        }
    }

    /// The list position `cursor`, if given.
    pub fn cursor(&mut self) -> Option<Cursor> {
        let raw = self.one("cursor")?;
        let cursor = Cursor::decode(&raw);
        if cursor.is_none() {
            self.error("cursor", "is not a cursor from this API");
        }
        cursor
    }

    /// An integer in `range`, or `default`.
    pub fn int_in(&mut self, name: &str, range: std::ops::RangeInclusive<i64>, default: i64) -> i64 {
        let what = format!("an integer in {}..={}", range.start(), range.end());
        match self.parsed::<i64>(name, &what) {
            Some(v) if range.contains(&v) => v,
            Some(_) => {
                self.error(name, format!("must be {what}"));
                default
            }
            None => default,
        }
    }

    fn time(&mut self, name: &str, tz: Tz, end_of_day: bool) -> Option<DateTime<Utc>> {
        let raw = self.one(name)?;
        if let Ok(t) = DateTime::parse_from_rfc3339(&raw) {
            return Some(t.with_timezone(&Utc));
        }
        match NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
            // A date is a local day in `tz`; `to` includes it.
            Ok(d) if end_of_day => d.succ_opt().map(|next| start_of_local_day(tz, next)),
            Ok(d) => Some(start_of_local_day(tz, d)),
            Err(_) => {
                self.error(name, "must be an RFC 3339 time (2026-11-24T09:15:00Z) or a date (2026-11-24)");
                None
            }
        }
    }

    /// The time range, zone and filters. `to` defaults to now; `from` stays absent when not
    /// given, for each caller's own default ([`ReportParams::report_range`]).
    pub fn report_params(&mut self) -> ReportParams {
        let tz = match self.one("tz") {
            None => Tz::UTC,
            Some(name) => name.parse::<Tz>().unwrap_or_else(|_| {
                self.error("tz", "must be an IANA time zone name such as Europe/Berlin");
                Tz::UTC
            }),
        };
        let to = self.time("to", tz, true).unwrap_or_else(Utc::now);
        let from = self.time("from", tz, false);
        if from.is_some_and(|from| from > to) {
            self.error("from", "must not be after to");
        }
        let mut filter = Filter {
            score_min: self.int_opt("score_min"),
            score_max: self.int_opt("score_max"),
            band: self.parsed("band", "detractor, passive or promoter"),
            has_comment: self.parsed("has_comment", "true or false"),
            sentiment: self.parsed("sentiment", "positive, neutral or negative"),
            // Only the list and the export take it; elsewhere `parse` refused it.
            include_duplicates: self.parsed("include_duplicates", "true or false").unwrap_or(false),
            ..Filter::default()
        };
        for category in self.params.get("category").cloned().unwrap_or_default() {
            if ["bug", "idea", "praise", "other"].contains(&category.as_str()) {
                filter.categories.push(category);
            } else {
                self.error("category", "must be bug, idea, praise or other");
            }
        }
        if let Some(q) = self.one("q") {
            if q.trim().is_empty() || q.chars().count() > MAX_QUERY_CHARS {
                self.error("q", format!("must be 1 to {MAX_QUERY_CHARS} characters"));
            } else {
                filter.text = Some(q);
            }
        }
        // Theme keys as reports give them (sorted stems, at most 100 characters).
        let themes = self.params.get("theme").cloned().unwrap_or_default();
        if themes.len() > MAX_THEMES || themes.iter().any(|t| t.is_empty() || t.chars().count() > 100) {
            self.error("theme", format!("takes 1 to {MAX_THEMES} theme keys of 1 to 100 characters"));
        } else {
            filter.themes = themes;
        }
        let attributes: Vec<(String, Vec<String>)> = self
            .params
            .iter()
            .filter_map(|(name, values)| {
                name.strip_prefix("attributes.").map(|k| (k.to_string(), values.clone()))
            })
            .collect();
        filter.attributes = attributes;
        filter.answers = self
            .params
            .iter()
            .filter_map(|(name, values)| {
                name.strip_prefix("answers.").map(|k| (k.to_string(), values.clone()))
            })
            .collect();
        // An option key or a rating; empty would mean "answered" to the rollups and
        // nothing to the rows.
        for (key, values) in &filter.answers {
            if values.iter().any(|v| v.is_empty() || v.len() > 40) {
                self.errors.push(FieldError::new(
                    format!("answers.{key}"),
                    "must name an option key or a rating of 1 to 40 characters",
                ));
            }
        }
        ReportParams { from, to, tz, filter }
    }

    fn int_opt(&mut self, name: &str) -> Option<i16> {
        let v = self.parsed::<i16>(name, "an integer in 0..=100")?;
        if (0..=100).contains(&v) {
            Some(v)
        } else {
            self.error(name, "must be an integer in 0..=100");
            None
        }
    }

    /// Every error found, or nothing.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_bad_parameter() {
        let mut q = Query::parse("from=yesterday&tz=Mars/Olympus&band=fan&bogus=1&score_min=200", &[]);
        q.report_params();
        let Err(ApiError::Validation(errors)) = q.finish() else { panic!("expected errors") };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["bogus", "tz", "from", "band", "score_min"] {
            assert!(fields.contains(&f), "{fields:?}");
        }
    }

    #[test]
    fn dates_are_local_days_and_to_includes_its_day() {
        let mut q = Query::parse(
            "from=2026-03-29&to=2026-03-29&tz=Europe/Berlin&attributes.plan=pro&attributes.plan=team",
            &[],
        );
        let p = q.report_params();
        q.finish().unwrap();
        assert_eq!(p.from.unwrap().to_rfc3339(), "2026-03-28T23:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-03-29T22:00:00+00:00");
        assert_eq!(
            p.filter.attributes,
            vec![("plan".to_string(), vec!["pro".to_string(), "team".to_string()])]
        );
    }
}
