//! The report page's themes: what the comments are about, an impact chart (how far each
//! theme moves the metric of the commenting answers, with its interval), and a table with
//! the same numbers, each theme's trend as a sparkline, and a link to its comments.

use super::svg::{self, Axis, Caption, HBar};
use super::view::{self, PageOptions, ReportData};
use feedbackd_core::insights::drivers::Direction;
use feedbackd_core::insights::{ThemeFigures, ThemesReport};
use maud::{html, Markup};

/// Themes the page shows.
pub const THEMES: usize = 10;
/// Fewest mentions for a theme to be shown on the page.
pub const MIN_MENTIONS: u64 = 3;

fn trend_word(t: &ThemeFigures) -> &'static str {
    match t.trend.direction {
        Direction::Rising => "rising",
        Direction::Falling => "falling",
        Direction::Steady => "",
    }
}

/// The section, or nothing when no comment of the period has been analysed yet.
pub fn section(o: &PageOptions, d: &ReportData) -> Markup {
    let Some(r) = &d.themes else { return html! {} };
    let metric = view::metric_name(d.survey.kind);
    html! {
        section aria-labelledby="themes-h" {
            h2 id="themes-h" { "Themes" }
            p class="note" {
                "What " (r.comments) " analysed comments are about"
                @if r.pending_comments > 0 { " (" (r.pending_comments) " more are being analysed)" }
                ". A theme's difference compares the " (metric) " of answers whose comment names it with the other comments; "
                "its impact is that difference × its share of comments."
            }
            @if r.themes.is_empty() {
                p { "No theme is named in " (MIN_MENTIONS) " comments or more." }
            } @else {
                (impact_chart(r, metric))
                (table(o, r))
            }
        }
    }
}

fn impact_chart(r: &ThemesReport, metric: &str) -> Markup {
    let rows: Vec<HBar> = r
        .themes
        .iter()
        .filter_map(|t| {
            let d = t.driver.as_ref()?;
            Some(HBar {
                label: t.label.clone(),
                value: d.points(d.impact),
                interval: Some((d.points(t.share * d.low), d.points(t.share * d.high))),
            })
        })
        .collect();
    if rows.is_empty() {
        return html! {};
    }
    let reach =
        rows.iter().flat_map(|b| [b.value.abs(), b.interval.map_or(0.0, |(l, h)| l.abs().max(h.abs()))]);
    // A round reach, so the five ticks (±reach, ±reach/2, 0) are whole numbers.
    let reach = reach.fold(1.0_f64, f64::max);
    let reach = if reach <= 10.0 { 2.0 * (reach / 2.0).ceil() } else { 10.0 * (reach / 10.0).ceil() };
    let title = format!("Impact of each theme on the {metric} of commenting answers");
    svg::hbars(
        &Caption {
            id: "themes-chart",
            title: &title,
            desc: "Bars left of zero pull the score down; whiskers: 95% intervals.",
        },
        Axis { min: -reach, max: reach, unit: "" },
        &rows,
    )
}

fn table(o: &PageOptions, r: &ThemesReport) -> Markup {
    html! {
        table class="themes" {
            thead { tr {
                th scope="col" { "theme" } th scope="col" { "comments" } th scope="col" { "share" }
                th scope="col" { "difference (95% interval)" } th scope="col" { "impact" } th scope="col" { "trend" }
            } }
            tbody {
                @for t in &r.themes {
                    tr {
                        th scope="row" {
                            a href=(format!("?{}#comments-h", o.link(&[("theme", &t.key)]))) { (t.label) }
                        }
                        td { (t.mentions) }
                        td { (format!("{:.0}%", 100.0 * t.share)) }
                        @if let Some(d) = &t.driver {
                            td { (format!("{:+.1} ({:+.1} to {:+.1})", d.points(d.difference), d.points(d.low), d.points(d.high))) }
                            td { (format!("{:+.1}", d.points(d.impact))) }
                        } @else {
                            td { "–" } td { "–" }
                        }
                        td {
                            (sparkline(&t.series))
                            " " (format!("{:.0}% → {:.0}%", 100.0 * t.previous_share, 100.0 * t.share))
                            @let word = trend_word(t);
                            @if !word.is_empty() { " " strong { (word) } }
                        }
                    }
                }
            }
        }
        p class="note" { "Rising and falling: the share against the previous period, significant after the Benjamini–Hochberg correction for the number of themes tested. A theme's link lists its comments below." }
        @if r.more > 0 { p class="note" { (r.more) " more themes are named less often (all of them: the themes API)." } }
    }
}

/// Mentions per bucket as a small line, for a table cell beside the same trend in words:
/// hidden from screen readers, which read the cell's text.
fn sparkline(series: &[u64]) -> Markup {
    const W: f64 = 80.0;
    const H: f64 = 16.0;
    if series.len() < 2 {
        return html! {};
    }
    let max = series.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = W / (series.len() - 1) as f64;
    let points: Vec<String> = series
        .iter()
        .enumerate()
        .map(|(i, &v)| format!("{:.1},{:.1}", i as f64 * step, H - 1.0 - (H - 2.0) * v as f64 / max))
        .collect();
    html! {
        svg class="sparkline" viewBox=(format!("0 0 {W} {H}")) aria-hidden="true" xmlns="http://www.w3.org/2000/svg" {
            polyline points=(points.join(" ")) {}
        }
    }
}
