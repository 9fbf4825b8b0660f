//! Charts as inline SVG, drawn on the server: no script, no font, no external file. Colours
//! come from classes in `report.css` (so dark mode and print restyle them, and the page needs
//! no inline style under its CSP). Every chart has a `<title>` and `<desc>` and is
//! `role="img"`; the page puts a table with the same numbers beside each.

use maud::{html, Markup};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;
/// Most labels under a time axis; more would overlap.
const MAX_X_LABELS: usize = 8;

/// The value range of a chart's y axis, and what its numbers are.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    /// Appended to tick labels (`%` or nothing).
    pub unit: &'static str,
}

impl Axis {
    fn y(&self, v: f64) -> f64 {
        let span = (self.max - self.min).max(f64::EPSILON);
        let v = v.clamp(self.min, self.max);
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v - self.min) / span)
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        (0..=4).map(move |i| self.min + (self.max - self.min) * f64::from(i) / 4.0)
    }
}

/// The words every chart needs: its id (for `aria-labelledby`), title and description.
pub struct Caption<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
}

/// One bucket of a trend: its label, its value and 95% interval (absent without answers).
pub struct TrendPoint {
    pub label: String,
    pub value: Option<f64>,
    pub band: Option<(f64, f64)>,
    pub count: u64,
}

/// One bar of a distribution.
pub struct Bar {
    pub label: String,
    pub value: u64,
    /// A class of `report.css` (`detractor`, `passive`, `promoter` or `neutral`).
    pub class: &'static str,
}

/// One row of a horizontal bar chart with an optional interval whisker.
pub struct HBar {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

fn frame(caption: &Caption<'_>, height: f64, body: Markup) -> Markup {
    let (title, desc) = (format!("{}-title", caption.id), format!("{}-desc", caption.id));
    html! {
        svg class="chart" id=(caption.id) viewBox=(format!("0 0 {WIDTH} {height}")) role="img"
            aria-labelledby=(format!("{title} {desc}")) xmlns="http://www.w3.org/2000/svg" {
            title id=(title) { (caption.title) }
            desc id=(desc) { (caption.desc) }
            (body)
        }
    }
}

/// A chart of the standard size with horizontal grid lines for `axis` under `body`.
fn plot(caption: &Caption<'_>, axis: &Axis, body: Markup) -> Markup {
    frame(caption, HEIGHT, html! { (grid(axis)) (body) })
}

fn grid(axis: &Axis) -> Markup {
    html! {
        g class="grid" {
            @for t in axis.ticks() {
                line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(r(axis.y(t))) y2=(r(axis.y(t))) {}
                text class="tick" x=(LEFT - 6.0) y=(r(axis.y(t) + 4.0)) text-anchor="end" {
                    (format!("{t:.0}{}", axis.unit))
                }
            }
        }
    }
}

/// Rounds a coordinate to one decimal, which keeps the SVG small.
fn r(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A line over time with its 95% interval as a band, one marker per bucket (a tick on the
/// axis where a bucket has no answers).
pub fn trend(caption: &Caption<'_>, axis: Axis, points: &[TrendPoint]) -> Markup {
    let n = points.len().max(1) as f64;
    let step = (WIDTH - LEFT - RIGHT) / n;
    let x = |i: usize| r(LEFT + step * (i as f64 + 0.5));
    // Runs of consecutive buckets with answers: lines and bands break at empty buckets.
    let mut runs: Vec<Vec<usize>> = vec![Vec::new()];
    for (i, p) in points.iter().enumerate() {
        match p.value {
            Some(_) => runs.last_mut().expect("one run at least").push(i),
            None => runs.push(Vec::new()),
        }
    }
    runs.retain(|run| !run.is_empty());
    let line = |run: &[usize]| -> String {
        run.iter()
            .map(|&i| format!("{},{}", x(i), r(axis.y(points[i].value.unwrap_or(0.0)))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let band = |run: &[usize]| -> Option<String> {
        let mut upper = Vec::new();
        let mut lower = Vec::new();
        for &i in run {
            let (lo, hi) = points[i].band?;
            upper.push(format!("{},{}", x(i), r(axis.y(hi))));
            lower.push(format!("{},{}", x(i), r(axis.y(lo))));
        }
        lower.reverse();
        Some(format!("{} {}", upper.join(" "), lower.join(" ")))
    };
    let every = points.len().div_ceil(MAX_X_LABELS).max(1);
    let baseline = HEIGHT - BOTTOM;
    plot(
        caption,
        &axis,
        html! {
            @for run in &runs {
                @if let Some(polygon) = band(run) { polygon class="band" points=(polygon) {} }
                polyline class="line" points=(line(run)) {}
            }
            g class="markers" {
                @for (i, p) in points.iter().enumerate() {
                    @match p.value {
                        Some(v) => g class="point" {
                            circle cx=(x(i)) cy=(r(axis.y(v))) r="3" {
                                title { (p.label) ": " (format!("{v:.1}{}", axis.unit)) " (" (p.count) " answers)" }
                            }
                        },
                        None => g class="point empty" {
                            line x1=(x(i)) x2=(x(i)) y1=(baseline - 4.0) y2=(baseline) {
                                title { (p.label) ": no answers" }
                            }
                        },
                    }
                }
            }
            @for (i, p) in points.iter().enumerate() {
                @if i % every == 0 {
                    text class="tick" x=(x(i)) y=(baseline + 16.0) text-anchor="middle" { (p.label) }
                }
            }
        },
    )
}

/// Vertical bars of counts, one per label (a score distribution).
pub fn bars(caption: &Caption<'_>, bars: &[Bar]) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let axis = Axis { min: 0.0, max, unit: "" };
    let step = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    let baseline = HEIGHT - BOTTOM;
    plot(
        caption,
        &axis,
        html! {
            @for (i, b) in bars.iter().enumerate() {
                @let x0 = LEFT + step * i as f64;
                @let top = axis.y(b.value as f64);
                rect class=(format!("bar {}", b.class)) x=(r(x0 + step * 0.15)) y=(r(top))
                    width=(r(step * 0.7)) height=(r(baseline - top)) {
                    title { (b.label) ": " (b.value) }
                }
                text class="tick" x=(r(x0 + step / 2.0)) y=(baseline + 16.0) text-anchor="middle" { (b.label) }
            }
        },
    )
}

/// Horizontal bars of a metric per segment, each with its 95% interval as a whisker.
pub fn hbars(caption: &Caption<'_>, axis: Axis, rows: &[HBar]) -> Markup {
    const ROW: f64 = 28.0;
    const LABEL: f64 = 160.0;
    let height = TOP + ROW * rows.len().max(1) as f64 + BOTTOM;
    let span = (axis.max - axis.min).max(f64::EPSILON);
    let x = |v: f64| r(LABEL + (WIDTH - LABEL - RIGHT) * ((v.clamp(axis.min, axis.max) - axis.min) / span));
    let zero = x(0.0_f64.clamp(axis.min, axis.max));
    frame(
        caption,
        height,
        html! {
            @for t in axis.ticks() {
                line class="gridline" x1=(x(t)) x2=(x(t)) y1=(TOP) y2=(height - BOTTOM) {}
                text class="tick" x=(x(t)) y=(height - BOTTOM + 16.0) text-anchor="middle" {
                    (format!("{t:.0}{}", axis.unit))
                }
            }
            @for (i, row) in rows.iter().enumerate() {
                @let y = TOP + ROW * i as f64;
                @let (a, b) = if x(row.value) < zero { (x(row.value), zero) } else { (zero, x(row.value)) };
                text class="label" x=(LABEL - 8.0) y=(r(y + ROW * 0.65)) text-anchor="end" { (row.label) }
                rect class="bar neutral" x=(a) y=(r(y + ROW * 0.2)) width=(r(b - a)) height=(r(ROW * 0.6)) {
                    title { (row.label) ": " (format!("{:.1}{}", row.value, axis.unit)) }
                }
                @if let Some((lo, hi)) = row.interval {
                    line class="whisker" x1=(x(lo)) x2=(x(hi)) y1=(r(y + ROW / 2.0)) y2=(r(y + ROW / 2.0)) {}
                }
            }
        },
    )
}

/// Width of a share bar's drawing (its size on the page is the stylesheet's).
const SHARE_WIDTH: f64 = 200.0;

/// A share (0..1) as a small horizontal bar with its 95% interval as a whisker, for a table
/// cell beside the same numbers in text: hidden from screen readers, which read the cells.
/// `class`: the bar's `report.css` class (`neutral`, or `retired`).
pub fn share_bar(share: f64, interval: Option<(f64, f64)>, class: &str) -> Markup {
    let x = |v: f64| r(SHARE_WIDTH * v.clamp(0.0, 1.0));
    html! {
        svg class="share" viewBox=(format!("0 0 {SHARE_WIDTH} 16")) aria-hidden="true"
            xmlns="http://www.w3.org/2000/svg" {
            rect class="track" x="0" y="3" width=(SHARE_WIDTH) height="10" {}
            rect class=(format!("bar {class}")) x="0" y="3" width=(x(share)) height="10" {}
            @if let Some((lo, hi)) = interval {
                line class="whisker" x1=(x(lo)) x2=(x(hi)) y1="8" y2="8" {}
            }
        }
    }
}

/// A share (0..1) on a 0–100% axis with its 95% interval as a whisker and a benchmark
/// line (the product-market-fit score against its 40% bar).
pub fn benchmark(caption: &Caption<'_>, share: f64, interval: (f64, f64), benchmark: f64) -> Markup {
    const HEIGHT: f64 = 84.0;
    const BAR_TOP: f64 = 26.0;
    const BAR: f64 = 22.0;
    // Margins of LEFT on both sides: the end ticks' labels are centred on them.
    let x = |v: f64| r(LEFT + (WIDTH - 2.0 * LEFT) * v.clamp(0.0, 1.0));
    let middle = BAR_TOP + BAR / 2.0;
    frame(
        caption,
        HEIGHT,
        html! {
            @for i in 0..=5 {
                @let t = f64::from(i) / 5.0;
                line class="gridline" x1=(x(t)) x2=(x(t)) y1=(BAR_TOP - 4.0) y2=(BAR_TOP + BAR + 4.0) {}
                text class="tick" x=(x(t)) y=(HEIGHT - 8.0) text-anchor="middle" { (format!("{:.0}%", 100.0 * t)) }
            }
            rect class="bar neutral" x=(x(0.0)) y=(BAR_TOP) width=(r(x(share) - x(0.0))) height=(BAR) {}
            line class="whisker" x1=(x(interval.0)) x2=(x(interval.1)) y1=(middle) y2=(middle) {}
            line class="benchmark" x1=(x(benchmark)) x2=(x(benchmark)) y1="14" y2=(BAR_TOP + BAR + 6.0) {}
            text class="label" x=(x(benchmark)) y="10" text-anchor="middle" {
                (format!("{:.0}% benchmark", 100.0 * benchmark))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caption() -> Caption<'static> {
        Caption { id: "c", title: "T <b>", desc: "D" }
    }

    #[test]
    fn a_trend_has_one_marker_per_bucket_and_breaks_at_empty_ones() {
        let p = |v: Option<f64>| TrendPoint {
            label: "d".into(),
            value: v,
            band: v.map(|v| (v - 5.0, v + 5.0)),
            count: 1,
        };
        let svg = trend(
            &caption(),
            Axis { min: -100.0, max: 100.0, unit: "" },
            &[p(Some(10.0)), p(Some(20.0)), p(None), p(Some(30.0))],
        )
        .into_string();
        assert_eq!(svg.matches("class=\"point").count(), 4);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"c-title\">T &lt;b&gt;</title>"));
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bars(
            &caption(),
            &[
                Bar { label: "0".into(), value: 0, class: "detractor" },
                Bar { label: "10".into(), value: 5, class: "promoter" },
            ],
        )
        .into_string();
        assert!(svg.contains("class=\"bar promoter\""));
        assert!(svg.contains(&format!("height=\"{}\"", r(HEIGHT - BOTTOM - TOP))));
    }

    #[test]
    fn a_share_bar_is_hidden_from_screen_readers_and_clamps_to_its_track() {
        let svg = share_bar(0.25, Some((0.1, 1.4)), "retired").into_string();
        assert!(svg.contains("aria-hidden=\"true\"") && svg.contains("class=\"bar retired\""));
        assert!(svg.contains(&format!("width=\"{}\"", SHARE_WIDTH / 4.0)));
        assert!(svg.contains(&format!("x2=\"{SHARE_WIDTH}\"")), "the whisker stops at 100%: {svg}");
        let pmf = benchmark(&caption(), 0.45, (0.26, 0.66), 0.4).into_string();
        assert!(pmf.contains("role=\"img\"") && pmf.contains("40% benchmark"));
        assert_eq!(pmf.matches("class=\"benchmark\"").count(), 1);
    }
}
