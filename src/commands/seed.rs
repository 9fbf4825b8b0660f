//! `feedbackd seed`: realistic synthetic answers for benchmarks and demos, written with
//! `COPY … FROM STDIN` in batches. The rollup triggers are statement-level, so they run
//! once per batch and the rollups stay exact.

use super::Database;
use crate::cli::SeedArgs;
use anyhow::{bail, Context};
use chrono::{DateTime, Duration, Utc};
use feedbackd_domain::{Scale, SurveyKind};
use feedbackd_store::bulk;
use feedbackd_store::surveys;
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

/// Share of the answers that arrive evenly over the day; the rest arrive between 08:00 and
/// 22:00 UTC, the daytime of most users.
const EVEN_SHARE: f64 = 0.6;
const DAYTIME: (i64, i64) = (8 * 3600, 22 * 3600);

/// How busy second `t` (Unix time) is, relative to the day's mean (which is 1).
fn density(t: i64) -> f64 {
    let second_of_day = t.rem_euclid(86_400);
    let day = (DAYTIME.0..DAYTIME.1).contains(&second_of_day);
    EVEN_SHARE + if day { (1.0 - EVEN_SHARE) * 86_400.0 / (DAYTIME.1 - DAYTIME.0) as f64 } else { 0.0 }
}

/// The integral of [`density`] from the epoch to `t`: how many answers, in mean seconds'
/// worth, arrive before `t`.
fn arrivals_before(t: i64) -> f64 {
    let (days, second_of_day) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let daytime = DAYTIME.1 - DAYTIME.0;
    let daytime_before = days * daytime + (second_of_day - DAYTIME.0).clamp(0, daytime);
    EVEN_SHARE * t as f64 + (1.0 - EVEN_SHARE) * 86_400.0 / daytime as f64 * daytime_before as f64
}

/// Splits `n` answers over `[start, end)` into about `batches` consecutive windows, each with
/// its share of the arrivals: `(window start, window end, answers)`. Batches written window
/// after window leave the table in time order, as a live service's arrivals do, so range
/// reads of seeded data cost what they cost in production.
fn windows(start: i64, end: i64, n: u64, batches: u64) -> Vec<(i64, i64, u64)> {
    let (a, total) = (arrivals_before(start), arrivals_before(end) - arrivals_before(start));
    let answers_before = |t: i64| (n as f64 * (arrivals_before(t) - a) / total).round() as u64;
    let edge = |i: u64| start + ((end - start) as i128 * i as i128 / batches as i128) as i64;
    (0..batches)
        .map(|i| (edge(i), edge(i + 1), answers_before(edge(i + 1)).min(n) - answers_before(edge(i)).min(n)))
        .filter(|w| w.2 > 0)
        .collect()
}

/// `k` arrival times in `[start, end)` drawn from [`density`], in order, to the microsecond.
fn arrival_times(rng: &mut StdRng, start: i64, end: i64, k: u64) -> Vec<i64> {
    let peak = density(DAYTIME.0);
    let mut times: Vec<i64> = (0..k)
        .map(|_| loop {
            let t = rng.gen_range(start..end);
            if rng.gen::<f64>() * peak < density(t) {
                break t * 1_000_000 + rng.gen_range(0..1_000_000);
            }
        })
        .collect();
    times.sort_unstable();
    times
}

/// What every row of a seeding job shares.
#[derive(Clone, Copy)]
struct Target {
    project_id: Uuid,
    survey_id: Uuid,
    kind: SurveyKind,
    scale: Option<Scale>,
    /// The whole seeded period, for the drift of the scores and versions.
    period: (i64, i64),
}

/// Writes one row per arrival time (Unix microseconds) in PostgreSQL's COPY text format.
fn batch(rng: &mut StdRng, times: &[i64], target: Target) -> String {
    let Target { project_id, survey_id, kind, scale, period } = target;
    let mut out = String::with_capacity(times.len() * 320);
    for &micros in times {
        let at = DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default();
        let phase =
            ((micros / 1_000_000 - period.0) as f64 / (period.1 - period.0).max(1) as f64).clamp(0.0, 1.0);
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

/// `feedbackd seed`
pub fn run(global: &crate::cli::GlobalArgs, args: SeedArgs) -> anyhow::Result<()> {
    if args.days == 0 || args.batch == 0 || args.jobs == 0 {
        bail!("--days, --batch and --jobs must be positive");
    }
    let database = Database::open(global)?;
    let mut conn = bulk::connect(database.url())?;
    let survey = surveys::find_by_ref(&mut conn, args.project, &args.survey)?
        .with_context(|| format!("no survey {:?} in project {}", args.survey, args.project))?;
    let kind = survey.kind;
    let scale = survey.scale().or_else(|| kind.default_scale());
    let end = Utc::now().timestamp();
    let start = end - i64::from(args.days) * 86_400;
    let started = Instant::now();
    // Each job seeds its own slice of the period, window after window, so concurrent
    // batches update different rollup rows instead of waiting on each other's locks.
    let jobs = args.jobs.min(args.days as usize) as i64;
    let per_job = args.responses / jobs as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let target = Target { project_id: args.project, survey_id: survey.id, kind, scale, period: (start, end) };
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..jobs)
            .map(|j| {
                let (url, done) = (database.url().clone(), &done);
                let n = if j == jobs - 1 { args.responses - per_job * (jobs as u64 - 1) } else { per_job };
                let slice = (start + (end - start) * j / jobs, start + (end - start) * (j + 1) / jobs);
                let seed = args.seed.wrapping_add(j as u64);
                let batches = n.div_ceil(args.batch as u64).max(1);
                scope.spawn(move || -> anyhow::Result<()> {
                    let mut conn = bulk::connect(&url)?;
                    let mut rng = StdRng::seed_from_u64(seed);
                    for (from, to, k) in windows(slice.0, slice.1, n, batches) {
                        let times = arrival_times(&mut rng, from, to, k);
                        bulk::copy_answers(&mut conn, &batch(&mut rng, &times, target))
                            .context("COPY into responses")?;
                        let total = done.fetch_add(k, std::sync::atomic::Ordering::Relaxed) + k;
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
    let sealed = feedbackd_store::seals::seal_survey(
        &mut conn,
        args.project,
        survey.id,
        Utc::now() - Duration::hours(1),
    )?;
    bulk::analyze_answers(&mut conn)?;
    eprintln!("sealed finished days in {sealed} step(s)");
    let secs = seeded;
    println!(
        "{}",
        serde_json::json!({"responses": args.responses, "days": args.days, "seconds": (secs * 10.0).round() / 10.0,
            "per_second": (args.responses as f64 / secs).round()})
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_split_every_answer_in_time_order_busier_by_day() {
        let start = 1_767_225_600; // 2026-01-01T00:00:00Z
        let end = start + 3 * 86_400;
        let w = windows(start, end, 100_001, 12);
        assert_eq!(w.iter().map(|w| w.2).sum::<u64>(), 100_001);
        assert_eq!((w[0].0, w[w.len() - 1].1), (start, end));
        assert!(w.windows(2).all(|p| p[0].1 == p[1].0));
        // 00:00–06:00 is night only; 12:00–18:00 daytime only.
        let (night, day) = (w[0].2 as f64, w[2].2 as f64);
        let expected = density(DAYTIME.0) / density(0);
        assert!((day / night - expected).abs() < 0.01, "{day} / {night}");
    }

    #[test]
    fn arrival_times_are_sorted_and_inside_their_window() {
        let mut rng = StdRng::seed_from_u64(7);
        let times = arrival_times(&mut rng, 1_000, 5_000, 500);
        assert_eq!(times.len(), 500);
        assert!(times.windows(2).all(|p| p[0] <= p[1]));
        assert!(times.iter().all(|&t| (1_000_000_000..5_000_000_000).contains(&t)));
        assert!((arrivals_before(86_400) - 86_400.0).abs() < 1e-6, "a day holds a mean day's arrivals");
    }
}
