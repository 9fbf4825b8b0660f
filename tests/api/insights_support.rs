//! Randomized answers written straight into the database (the rollup triggers keep the
//! rollups), and an independent fold over them to compare the API's answers with.

use crate::helpers::TestApp;
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Array, Int2, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use uuid::Uuid;

pub const PLATFORMS: [&str; 4] = ["ios", "android", "web", "desktop"];
pub const COUNTRIES: [&str; 6] = ["DE", "US", "IN", "NP", "FR", "BR"];
pub const PLANS: [&str; 3] = ["free", "pro", "team"];
pub const WORDS: [&str; 12] = [
    "dark", "mode", "export", "crash", "slow", "search", "love", "editor", "sync", "login", "price",
    "support",
];

/// One answer as the test wrote it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: Uuid,
    pub score: i16,
    pub at: DateTime<Utc>,
    pub platform: Option<&'static str>,
    pub country: &'static str,
    pub plan: &'static str,
    pub comment: Option<String>,
    pub category: Option<&'static str>,
}

/// `n` random answers with scores in `min..=max`, answered within `[start, start + span)`.
pub fn random_rows(
    seed: u64,
    n: usize,
    start: DateTime<Utc>,
    span: Duration,
    min: i16,
    max: i16,
) -> Vec<Row> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let offset = rng.gen_range(0..span.num_seconds());
            // Some answers sit exactly on hour and quarter boundaries.
            let at = match rng.gen_range(0..10) {
                0 => start + Duration::seconds(offset / 900 * 900),
                1 => start + Duration::seconds(offset / 3600 * 3600),
                _ => start + Duration::seconds(offset) + Duration::microseconds(rng.gen_range(0..1_000_000)),
            };
            let comment = rng.gen_bool(0.4).then(|| {
                let k = rng.gen_range(1..6);
                (0..k).map(|_| WORDS[rng.gen_range(0..WORDS.len())]).collect::<Vec<_>>().join(" the ")
            });
            Row {
                id: Uuid::now_v7(),
                score: rng.gen_range(min..=max),
                at,
                platform: rng.gen_bool(0.9).then(|| PLATFORMS[rng.gen_range(0..PLATFORMS.len())]),
                country: COUNTRIES[rng.gen_range(0..COUNTRIES.len())],
                plan: PLANS[rng.gen_range(0..PLANS.len())],
                category: comment.as_ref().and_then(|_| rng.gen_bool(0.5).then_some("bug")),
                comment,
            }
        })
        .collect()
}

/// Writes `rows` for `survey_id` in several statements (so the triggers run per statement).
pub fn insert(app: &TestApp, survey_id: Uuid, rows: &[Row]) {
    let mut conn = app.db.connect();
    for chunk in rows.chunks(700) {
        let attributes: Vec<serde_json::Value> = chunk
            .iter()
            .map(|r| {
                let mut a = serde_json::json!({"country": r.country, "plan": r.plan});
                if let Some(p) = r.platform {
                    a["platform"] = p.into();
                }
                a
            })
            .collect();
        diesel::sql_query(
            "INSERT INTO responses (project_id, id, survey_id, survey_version, score, comment, category, attributes, answered_at) \
             SELECT $1, u.id, $2, 1, u.score, u.comment, u.category, u.attributes, u.at \
             FROM unnest($3::uuid[], $4::int2[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[]) \
             AS u(id, score, comment, category, attributes, at)",
        )
        .bind::<SqlUuid, _>(app.fixture.project_id)
        .bind::<SqlUuid, _>(survey_id)
        .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind::<Array<Int2>, _>(chunk.iter().map(|r| r.score).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(chunk.iter().map(|r| r.comment.clone()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(chunk.iter().map(|r| r.category.map(str::to_string)).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(attributes)
        .bind::<Array<Timestamptz>, _>(chunk.iter().map(|r| r.at).collect::<Vec<_>>())
        .execute(&mut conn)
        .expect("inserting answers");
    }
}

/// Writes `rows` the way a long-lived survey gets them: most first, then the days before
/// `seal_before` are sealed into the day rollups, then the rest arrive late (into sealed
/// days and open ones alike) and a tenth of everything is erased. Returns the rows left, so
/// reports must add day, hour, quarter and raw counts, signed, to match them.
pub fn insert_sealed(app: &TestApp, survey_id: Uuid, rows: Vec<Row>, seal_before: DateTime<Utc>) -> Vec<Row> {
    let (early, late) = rows.split_at(rows.len() * 2 / 3);
    insert(app, survey_id, early);
    let mut conn = app.db.connect();
    let steps =
        feedbackd_store::seals::seal_survey(&mut conn, app.fixture.project_id, survey_id, seal_before)
            .expect("sealing");
    assert!(steps > 0, "nothing was sealed");
    insert(app, survey_id, late);
    let (mut erased, mut kept) = (Vec::new(), Vec::new());
    for (i, row) in rows.into_iter().enumerate() {
        if i % 10 == 3 {
            erased.push(row)
        } else {
            kept.push(row)
        }
    }
    diesel::sql_query("DELETE FROM responses WHERE project_id = $1 AND id = ANY($2)")
        .bind::<SqlUuid, _>(app.fixture.project_id)
        .bind::<Array<SqlUuid>, _>(erased.iter().map(|r| r.id).collect::<Vec<_>>())
        .execute(&mut conn)
        .expect("erasing");
    kept
}

/// The id of the fixture's survey with `key`.
pub fn survey_id(app: &TestApp, key: &str) -> Uuid {
    survey_id_in(app, app.fixture.project_id, key)
}

/// The id of the survey with `key` in `project_id`.
pub fn survey_id_in(app: &TestApp, project_id: Uuid, key: &str) -> Uuid {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query("SELECT id FROM surveys WHERE project_id = $1 AND key = $2")
        .bind::<SqlUuid, _>(project_id)
        .bind::<Text, _>(key)
        .get_result::<Id>(&mut app.db.connect())
        .expect("survey")
        .id
}

/// Counts per score of the rows in `[from, to)` that `keep`.
pub fn fold<'a>(
    rows: impl IntoIterator<Item = &'a Row>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    keep: impl Fn(&Row) -> bool,
) -> BTreeMap<i16, u64> {
    let mut out = BTreeMap::new();
    for r in rows {
        if r.at >= from && r.at < to && keep(r) {
            *out.entry(r.score).or_default() += 1;
        }
    }
    out
}

/// The non-zero entries of a `distribution` array.
pub fn distribution(metrics: &serde_json::Value) -> BTreeMap<i16, u64> {
    metrics["distribution"]
        .as_array()
        .expect("distribution")
        .iter()
        .map(|d| (d["score"].as_i64().unwrap() as i16, d["count"].as_u64().unwrap()))
        .filter(|&(_, n)| n > 0)
        .collect()
}

/// NPS of counts, computed directly.
pub fn nps_of(counts: &BTreeMap<i16, u64>) -> Option<f64> {
    let n: u64 = counts.values().sum();
    if n == 0 {
        return None;
    }
    let p: u64 = counts.iter().filter(|(&s, _)| s >= 9).map(|(_, &c)| c).sum();
    let d: u64 = counts.iter().filter(|(&s, _)| s <= 6).map(|(_, &c)| c).sum();
    Some(100.0 * (p as f64 - d as f64) / n as f64)
}

impl TestApp {
    /// GET with the fixture's admin secret key; the status and the JSON body.
    pub async fn read(&self, path_and_query: &str) -> (u16, serde_json::Value) {
        self.read_with(path_and_query, &self.fixture.secret_key).await
    }

    /// GET with `token`.
    pub async fn read_with(&self, path_and_query: &str, token: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(format!("{}{}", self.address, path_and_query))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }
}

/// `t` as a query value.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).replace('+', "%2B")
}
