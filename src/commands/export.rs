//! `feedbackd export`: the HTTP export's code path ([`feedbackd_core::export::start`], parameters
//! parsed by the same parser) written to a file or stdout, with a progress spinner on a
//! terminal and none when stderr is piped.

use super::Database;
use crate::cli::{ExportArgs, GlobalArgs};
use anyhow::{anyhow, Context};
use feedbackd_http::{parse_export_query, ApiError};
use feedbackd_store::projects;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;

/// Runs the export.
pub fn run(global: &GlobalArgs, args: ExportArgs) -> anyhow::Result<()> {
    let request = parse_export_query(&query_string(&args)?).map_err(|e| match e {
        ApiError::Validation(errors) => anyhow!(
            "invalid export: {}",
            errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        ),
        other => anyhow!(other.to_string()),
    })?;
    let database = Database::open(global)?;
    let services = database.services()?;
    services.block_on(async {
        let db = &services.db;
        let project_id = args.project;
        let project = db
            .run(move |conn| projects::find(conn, project_id))
            .await?
            .ok_or_else(|| anyhow!("no project {project_id}"))?;
        let export = feedbackd_core::export::start(
            db,
            &project,
            request.survey.as_deref(),
            request.params,
            request.options,
        )
        .await?;
        let partial = args.output.as_ref().map(|p| {
            let mut name = p.clone().into_os_string();
            name.push(".part");
            std::path::PathBuf::from(name)
        });
        let mut out: Box<dyn Write> = match &partial {
            Some(path) => {
                Box::new(std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?)
            }
            None => Box::new(std::io::stdout().lock()),
        };
        let out_writer = std::io::BufWriter::with_capacity(256 * 1024, &mut out);
        let progress = progress_bar();
        let written = copy(export.body, out_writer, &export.rows, &progress).await;
        progress.finish_and_clear();
        let rows = export.rows.load(Ordering::Relaxed);
        if let Err(e) = written {
            if let Some(path) = &partial {
                let _ = std::fs::remove_file(path);
            }
            return Err(e.context(format!("export failed after {rows} rows")));
        }
        if let (Some(partial), Some(path)) = (&partial, &args.output) {
            std::fs::rename(partial, path).with_context(|| format!("renaming to {}", path.display()))?;
            eprintln!("exported {rows} answers to {}", path.display());
        }
        Ok(())
    })
}

async fn copy(
    mut body: futures_util::stream::BoxStream<
        'static,
        Result<bytes::Bytes, feedbackd_core::export::ExportError>,
    >,
    mut out: impl Write,
    rows: &std::sync::atomic::AtomicU64,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    while let Some(chunk) = body.next().await {
        out.write_all(&chunk?)?;
        progress.set_position(rows.load(Ordering::Relaxed));
    }
    out.flush()?;
    Ok(())
}

/// A spinner with the rows so far and the rate, on a terminal only: piped stderr stays clean.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} answers exported ({per_sec}, {elapsed})")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// The flags as the HTTP export's query string, so one parser checks both.
fn query_string(args: &ExportArgs) -> anyhow::Result<String> {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("format", args.format.extension());
    if args.bom {
        q.append_pair("bom", "true");
    }
    let named = [("survey", &args.survey), ("from", &args.from), ("to", &args.to), ("tz", &args.tz)];
    for (name, value) in named {
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    for filter in &args.filters {
        let (name, value) =
            filter.split_once('=').ok_or_else(|| anyhow!("--filter {filter:?} must be NAME=VALUE"))?;
        q.append_pair(name, value);
    }
    Ok(q.finish())
}
