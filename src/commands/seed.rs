//! `feedbackd seed`: realistic synthetic answers for benchmarks and demos, written with
//! `COPY … FROM STDIN` in batches. The rollup triggers are statement-level, so they run
//! once per batch and the rollups stay exact.

use super::Database;
use crate::cli::SeedArgs;
use crate::domain::{Scale, SurveyKind};
use crate::store::schema::responses;
use crate::store::{surveys, StoreError};
use anyhow::{bail, Context};
use chrono::{DateTime, Duration, Utc};
use diesel::pg::CopyFormat;
use diesel::prelude::ExecuteCopyFromDsl;
use diesel::{PgConnection, RunQueryDsl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use std::time::Instant;
use uuid::Uuid;

const PLATFORMS: [(&str, u32); 4] = [("ios", 35), ("android", 35), ("web", 25), ("desktop", 5)];
const COUNTRIES: [(&str, &str, u32); 12] = [
    ("US", "en-US", 30),
    ("DE", "de-DE", 12),
    ("GB", "en-GB", 10),
    ("IN", "en-IN", 10),
    ("FR", "fr-FR", 7),
    ("BR", "pt-BR", 7),
    ("JP", "ja-JP", 6),
    ("CA", "en-CA", 5),
    ("ES", "es-ES", 4),
    ("NP", "ne-NP", 3),
    ("AU", "en-AU", 3),
    ("NL", "nl-NL", 3),
];
const PLANS: [(&str, u32); 4] = [("free", 60), ("pro", 30), ("team", 8), ("enterprise", 2)];
const GOOD: [&str; 14] = [
    "love",
    "fast",
    "easy",
    "great",
    "editor",
    "dark mode",
    "clean",
    "sync works",
    "helpful",
    "support",
    "templates",
    "shortcuts",
    "beautiful",
    "reliable",
];
const BAD: [&str; 14] = [
    "slow",
    "crash",
    "login",
    "export fails",
    "too expensive",
    "confusing",
    "sync conflict",
    "missing feature",
    "search broken",
    "laggy",
    "bug",
    "notifications",
    "battery drain",
    "pricing",
];
const FILLER: [&str; 10] = ["the", "app", "really", "when", "my", "team", "and", "new", "update", "after"];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if x < w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

/// A score on `scale` whose mix drifts with `phase` (0..1 over the period) and platform.
fn score(rng: &mut StdRng, kind: SurveyKind, scale: Scale, phase: f64, platform: &str) -> i16 {
    let drift = 0.12 * (phase * std::f64::consts::TAU * 3.0).sin() + 0.1 * phase;
    let platform_shift = match platform {
        "android" => -0.06,
        "desktop" => 0.05,
        _ => 0.0,
    };
    let good = (0.5 + drift + platform_shift).clamp(0.05, 0.95);
    let u: f64 = rng.gen();
    let width = f64::from(scale.max - scale.min);
    let position = match kind {
        // NPS: promoters / passives / detractors, each spread over its scores.
        SurveyKind::Nps => {
            let r = if u < good {
                rng.gen_range(9..=10)
            } else if u < good + (1.0 - good) * 0.5 {
                rng.gen_range(7..=8)
            } else {
                rng.gen_range(0..=6)
            };
            return r;
        }
        // CES: low effort is good.
        SurveyKind::Ces => 1.0 - if u < good { rng.gen_range(0.7..1.0) } else { rng.gen::<f64>() },
        _ => {
            if u < good {
                rng.gen_range(0.7..1.0)
            } else {
                rng.gen::<f64>()
            }
        }
    };
    scale.min + (position * width).round() as i16
}

fn comment(rng: &mut StdRng, positive: bool, out: &mut String) {
    let words = rng.gen_range(3..12);
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        let list: &[&str] = match rng.gen_range(0..3) {
            0 => &FILLER,
            _ if positive => &GOOD,
            _ => &BAD,
        };
        out.push_str(list[rng.gen_range(0..list.len())]);
    }
}

/// Writes one batch of `n` rows in PostgreSQL's COPY text format.
#[allow(clippy::too_many_arguments)]
fn batch(
    rng: &mut StdRng,
    n: usize,
    project_id: Uuid,
    survey_id: Uuid,
    kind: SurveyKind,
    scale: Option<Scale>,
    start: DateTime<Utc>,
    span_secs: i64,
) -> String {
    let mut out = String::with_capacity(n * 320);
    for _ in 0..n {
        // More answers in the local daytime of most users.
        let mut offset = rng.gen_range(0..span_secs);
        if rng.gen_bool(0.4) {
            offset = offset / 86_400 * 86_400 + rng.gen_range(8 * 3600..22 * 3600).min(86_399);
            offset = offset.min(span_secs - 1);
        }
        let at = start + Duration::seconds(offset) + Duration::microseconds(rng.gen_range(0..1_000_000));
        let phase = offset as f64 / span_secs as f64;
        let platform = pick(rng, &PLATFORMS, |p| p.1).0;
        let (country, locale, _) = *pick(rng, &COUNTRIES, |c| c.2);
        let plan = pick(rng, &PLANS, |p| p.1).0;
        // A new minor version every ~5 weeks of the period; older ones linger.
        let newest = (phase * 10.0) as i64;
        let version = (newest - rng.gen_range(0..3)).max(0);
        let id = uuid::Builder::from_random_bytes(rng.gen()).into_uuid();
        let score = scale.map(|s| score(rng, kind, s, phase, platform));
        let _ = write!(out, "{project_id}\t{id}\t{survey_id}\t1\tuser-{}\t", rng.gen_range(0..2_000_000));
        match score {
            Some(s) => {
                let _ = write!(out, "{s}\t");
            }
            None => out.push_str("\\N\t"),
        }
        let positive = score.map_or(true, |s| {
            scale.is_some_and(|sc| f64::from(s - sc.min) >= 0.7 * f64::from(sc.max - sc.min))
        });
        if score.is_none() || rng.gen_bool(0.3) {
            comment(rng, positive, &mut out);
            out.push('\t');
        } else {
            out.push_str("\\N\t");
        }
        match score {
            None => out.push_str(["bug", "idea", "praise", "other"][rng.gen_range(0..4)]),
            Some(_) => out.push_str("\\N"),
        }
        let _ = writeln!(
            out,
            "\t{{\"platform\": \"{platform}\", \"app_version\": \"3.{version}.{}\", \"country\": \"{country}\", \
             \"locale\": \"{locale}\", \"plan\": \"{plan}\"}}\t{}\t{}",
            rng.gen_range(0..4),
            at.format("%Y-%m-%d %H:%M:%S%.6f+00"),
            (at + Duration::milliseconds(rng.gen_range(50..3000))).format("%Y-%m-%d %H:%M:%S%.6f+00"),
        );
    }
    out
}

fn copy(conn: &mut PgConnection, data: &str) -> anyhow::Result<usize> {
    use responses::*;
    let n = diesel::copy_from(responses::table)
        .from_raw_data(
            (
                project_id,
                id,
                survey_id,
                survey_version,
                respondent_id,
                score,
                comment,
                category,
                attributes,
                answered_at,
                received_at,
            ),
            |w: &mut dyn std::io::Write| {
                w.write_all(data.as_bytes())
                    .map_err(|e| StoreError::Internal(format!("writing COPY data: {e}")))
            },
        )
        .with_format(CopyFormat::Text)
        .execute(conn)
        .context("COPY into responses")?;
    Ok(n)
}

/// `feedbackd seed`
pub fn run(global: &crate::cli::GlobalArgs, args: SeedArgs) -> anyhow::Result<()> {
    if args.days == 0 || args.batch == 0 || args.jobs == 0 {
        bail!("--days, --batch and --jobs must be positive");
    }
    let database = Database::open(global)?;
    let mut conn = database.connect()?;
    let survey = surveys::find_by_ref(&mut conn, args.project, &args.survey)?
        .with_context(|| format!("no survey {:?} in project {}", args.survey, args.project))?;
    let kind: SurveyKind = survey.kind.parse().map_err(anyhow::Error::msg)?;
    let scale = match (survey.scale_min, survey.scale_max) {
        (Some(min), Some(max)) => Some(Scale { min, max }),
        _ => kind.default_scale(),
    };
    let end = Utc::now();
    let span = Duration::days(i64::from(args.days));
    let started = Instant::now();
    // Each job seeds its own slice of the period, so concurrent batches update different
    // rollup rows instead of waiting on each other's locks.
    let jobs = args.jobs.min(args.days as usize);
    let per_job = args.responses / jobs as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..jobs)
            .map(|j| {
                let (url, done, survey_id) = (database.url().clone(), &done, survey.id);
                let project = args.project;
                let n = if j == jobs - 1 { args.responses - per_job * (jobs as u64 - 1) } else { per_job };
                let slice = span / jobs as i32;
                let start = end - span + slice * j as i32;
                let seed = args.seed.wrapping_add(j as u64);
                let batch_size = args.batch;
                scope.spawn(move || -> anyhow::Result<()> {
                    use diesel::Connection;
                    use secrecy::ExposeSecret;
                    let mut conn = PgConnection::establish(url.expose_secret())?;
                    let mut rng = StdRng::seed_from_u64(seed);
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(batch_size as u64) as usize;
                        let data =
                            batch(&mut rng, k, project, survey_id, kind, scale, start, slice.num_seconds());
                        copy(&mut conn, &data)?;
                        left -= k as u64;
                        let total = done.fetch_add(k as u64, std::sync::atomic::Ordering::Relaxed) + k as u64;
                        eprintln!(
                            "seeded {total} answers ({:.0}/s)",
                            total as f64 / started.elapsed().as_secs_f64()
                        );
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("a seeding thread panicked"))??;
        }
        Ok(())
    })?;
    let seeded = started.elapsed().as_secs_f64();
    // Past days go to the day rollups now rather than at the service's next sealing pass.
    let sealed =
        crate::store::seals::seal_survey(&mut conn, args.project, survey.id, end - Duration::hours(1))?;
    diesel::sql_query("ANALYZE responses, score_rollups, score_rollups_quarter, score_rollups_daily")
        .execute(&mut conn)?;
    eprintln!("sealed finished days in {sealed} step(s)");
    let secs = seeded;
    println!(
        "{}",
        serde_json::json!({"responses": args.responses, "days": args.days, "seconds": (secs * 10.0).round() / 10.0,
            "per_second": (args.responses as f64 / secs).round()})
    );
    Ok(())
}
