//! The report page: headline, trend, distribution, breakdown, the questions, rising terms
//! and the latest comments, each chart with a table holding the same numbers. A choice
//! survey has no score: its page is its questions (a PMF survey's headline is the PMF
//! score), its terms and its comments; so is a text survey's with questions.

use super::layout::{document, urlencode};
use super::questions;
use super::svg::{self, Bar, Caption, HBar, TrendPoint};
use super::view::{self, PageOptions, ReportData, Scores};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use feedbackd_core::insights::metrics::Metrics;
use feedbackd_core::insights::shapes::Segment;
use feedbackd_core::insights::Interval;
use maud::{html, Markup};

/// Where a report's own links lead: the report pages' (`/reports/…`) or the console's.
pub struct Links {
    /// The CSV download of the listed comments (its path, without the query), if the
    /// reader may export.
    pub export: Option<String>,
    /// The sign-out form's action, if the page has one of its own.
    pub sign_out: Option<&'static str>,
}

/// The whole page for `survey` (its key or id, as in the URL); `can_export`: the reader's
/// key holds `responses:export`, so the page offers the CSV download.
pub fn render(survey: &str, o: &PageOptions, d: &ReportData, can_export: bool) -> Markup {
    let links = Links {
        export: can_export.then(|| format!("/reports/{}/export.csv", urlencode(survey))),
        sign_out: Some("/reports/logout"),
    };
    document(&title(d), body(o, d, &links, true))
}

/// The report's title.
pub fn title(d: &ReportData) -> String {
    format!("{} report", d.survey.key)
}

/// The report itself, without the document around it (the console frames it in its own,
/// which has the page's `main` landmark already: `landmark` false).
pub fn body(o: &PageOptions, d: &ReportData, links: &Links, landmark: bool) -> Markup {
    let tz = o.params.tz;
    html! {
        header class="top" {
            h1 { (title(d)) }
            p class="period" {
                (local(d.range.from, tz)) " – " (local(d.range.to, tz)) " (" (tz.name()) ")"
                @if let Some(s) = &d.scores {
                    ", against " (local(s.summary.previous_range.from, tz)) " – " (local(s.summary.previous_range.to, tz))
                }
            }
            @if let Some(action) = links.sign_out {
                form method="post" action=(action) class="no-print" {
                    button type="submit" class="link" { "Sign out" }
                }
            }
        }
        (period_form(o, d))
        (questions::filter_note(o, questions::Words::of(&d.survey)))
        @if landmark { main { (figures(o, d, links)) } } @else { div class="report" { (figures(o, d, links)) } }
    }
}

fn figures(o: &PageOptions, d: &ReportData, links: &Links) -> Markup {
    html! {
        @if let Some(s) = &d.scores {
            (headline(s))
            (trend(o, s))
            (distribution(s))
            (breakdown(o, s))
        } @else if let Some(q) = &d.questions {
            (questions::headline(q))
        }
        @if let Some(q) = &d.questions {
            (questions::section(o, d, q))
        }
        (super::themes::section(o, d))
        (terms(d))
        (comments(o, d, links.export.as_deref()))
    }
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

fn date(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d").to_string()
}

/// The period and chart choices (the comment filters are in their own form below). An
/// answer filter narrows the whole page, so it stays when the period changes.
fn period_form(o: &PageOptions, d: &ReportData) -> Markup {
    let tz = o.params.tz;
    // `to` is exclusive; the form's date includes its day, so show the day before.
    let to_day = date(d.range.to - chrono::Duration::seconds(1), tz);
    html! {
        form method="get" class="controls no-print" aria-label="Period" {
            @for (name, _, value) in o.answer_params() {
                input type="hidden" name=(name) value=(value);
            }
            label { "From " input type="date" name="from" value=(date(d.range.from, tz)); }
            label { "To " input type="date" name="to" value=(to_day); }
            label { "Time zone " input type="text" name="tz" value=(tz.name()) size="16"; }
            @if d.scores.is_some() {
                label { "Trend by "
                    select name="interval" {
                        option value="day" selected[o.interval == Interval::Day] { "day" }
                        option value="week" selected[o.interval == Interval::Week] { "week" }
                    }
                }
                label { "Breakdown by " input type="text" name="by" value=(o.by) size="12"; }
            }
            button type="submit" { "Show" }
        }
    }
}

fn headline(s: &Scores) -> Markup {
    let s = &s.summary;
    let kind = s.survey.kind;
    let now = view::headline(kind, &s.current);
    let before = view::headline(kind, &s.previous);
    let value = |h: Option<view::Headline>| match h {
        Some(h) => view::format_value(kind, h.value),
        None => "–".into(),
    };
    let interval = |h: Option<view::Headline>| match h.and_then(|h| h.interval) {
        Some((lo, hi)) => {
            format!("95% interval {} to {}", view::format_value(kind, lo), view::format_value(kind, hi))
        }
        None => String::new(),
    };
    let significant = s.change.test.as_ref().is_some_and(|t| t.significant);
    html! {
        section class="headline" aria-labelledby="headline-title" {
            h2 id="headline-title" { (view::metric_name(kind)) }
            div class="now" {
                p class="value" id="headline-value" { (value(now)) }
                p class="interval" { (interval(now)) }
                p class="count" { (s.current.count) " answers" }
            }
            div class="before" {
                p class="label" { "Previous period" }
                p class="value small" { (value(before)) }
                p class="interval" { (interval(before)) }
                p class="count" { (s.previous.count) " answers" }
            }
            p class=(if significant { "change significant" } else { "change" }) id="headline-change" {
                "Change: " (view::describe_change(kind, &s.change))
            }
        }
    }
}

fn trend(o: &PageOptions, d: &Scores) -> Markup {
    let info = &d.series.survey;
    let kind = info.kind;
    let points: Vec<TrendPoint> = d
        .series
        .points
        .iter()
        .map(|p| {
            let h = view::headline(kind, &p.metrics);
            TrendPoint {
                label: p.bucket.date.format("%b %-d").to_string(),
                value: h.map(|h| h.value),
                band: h.and_then(|h| h.interval),
                count: p.metrics.count,
            }
        })
        .collect();
    let per = if o.interval == Interval::Week { "week" } else { "day" };
    let name = view::metric_name(kind);
    let caption = Caption {
        id: "trend",
        title: &format!("{name} by {per}"),
        desc: &format!(
            "{name} for each {per} of the period ({} points), with its 95% interval as a shaded band.",
            points.len()
        ),
    };
    html! {
        section aria-labelledby="trend-h" {
            h2 id="trend-h" { (name) " by " (per) }
            figure { (svg::trend(&caption, view::axis(kind, info.scale), &points)) }
            details class="table-alt" {
                summary { "Table: " (name) " by " (per) }
                table {
                    thead { tr { th scope="col" { (per) } th scope="col" { (name) } th scope="col" { "95% interval" } th scope="col" { "answers" } } }
                    tbody {
                        @for (p, raw) in points.iter().zip(&d.series.points) {
                            tr {
                                th scope="row" { (raw.bucket.date) }
                                td { (p.value.map(|v| view::format_value(kind, v)).unwrap_or_default()) }
                                td { (p.band.map(|(lo, hi)| format!("{} – {}", view::format_value(kind, lo), view::format_value(kind, hi))).unwrap_or_default()) }
                                td { (p.count) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn distribution(d: &Scores) -> Markup {
    let kind = d.summary.survey.kind;
    let table = |m: &Metrics| m.distribution.iter().map(|c| c.count).collect::<Vec<_>>();
    let (now, before) = (table(&d.summary.current), table(&d.summary.previous));
    let bars: Vec<Bar> = d
        .summary
        .current
        .distribution
        .iter()
        .map(|c| Bar { label: c.score.to_string(), value: c.count, class: view::band_class(kind, c.score) })
        .collect();
    let caption = Caption {
        id: "distribution",
        title: "Answers per score",
        desc: "How many answers gave each score in the period; for NPS, detractors (0–6), passives (7–8) and promoters (9–10) are coloured apart.",
    };
    html! {
        section aria-labelledby="dist-h" {
            h2 id="dist-h" { "Score distribution" }
            @if let Some(nps) = &d.summary.current.nps {
                p class="legend" {
                    span class="swatch detractor" {} "Detractors " (format!("{:.0}%", 100.0 * nps.detractor_share)) " "
                    span class="swatch passive" {} "Passives " (format!("{:.0}%", 100.0 * nps.passive_share)) " "
                    span class="swatch promoter" {} "Promoters " (format!("{:.0}%", 100.0 * nps.promoter_share))
                }
            }
            figure { (svg::bars(&caption, &bars)) }
            details class="table-alt" {
                summary { "Table: answers per score" }
                table {
                    thead { tr { th scope="col" { "score" } th scope="col" { "this period" } th scope="col" { "previous period" } } }
                    tbody {
                        @for (i, c) in d.summary.current.distribution.iter().enumerate() {
                            tr { th scope="row" { (c.score) } td { (now[i]) } td { (before.get(i).copied().unwrap_or(0)) } }
                        }
                    }
                }
            }
        }
    }
}

fn breakdown(o: &PageOptions, d: &Scores) -> Markup {
    let b = &d.breakdown;
    let kind = b.survey.kind;
    let rows: Vec<(String, &Segment)> = b
        .segments
        .iter()
        .map(|s| (s.value.clone().unwrap_or_default(), s))
        .chain(b.other.iter().map(|s| (format!("other ({} values)", s.values.unwrap_or(0)), s)))
        .chain(b.not_set.iter().map(|s| ("not set".to_string(), s)))
        .collect();
    let few = |s: &Segment| s.metrics.count < view::MIN_SEGMENT_ANSWERS;
    let bars: Vec<HBar> = rows
        .iter()
        .filter(|(_, s)| !few(s))
        .filter_map(|(label, s)| {
            let h = view::headline(kind, &s.metrics)?;
            Some(HBar { label: label.clone(), value: h.value, interval: h.interval })
        })
        .collect();
    let any_few = rows.iter().any(|(_, s)| few(s));
    let name = view::metric_name(kind);
    let caption = Caption {
        id: "breakdown",
        title: &format!("{name} by {}", o.by),
        desc: &format!("{name} for each value of {}, with 95% intervals as whiskers.", o.by),
    };
    html! {
        section aria-labelledby="breakdown-h" {
            h2 id="breakdown-h" { (name) " by " (o.by) }
            @if rows.is_empty() {
                p { "No answers in this period." }
            } @else if bars.is_empty() {
                p { "No value has " (view::MIN_SEGMENT_ANSWERS) " answers yet." }
            } @else {
                figure { (svg::hbars(&caption, view::axis(kind, b.survey.scale), &bars)) }
            }
            @if any_few {
                p class="note" {
                    "Rows with fewer than " (view::MIN_SEGMENT_ANSWERS) " answers show no " (name)
                    ": too few answers for a useful 95% interval."
                }
            }
            table class="breakdown" {
                thead { tr { th scope="col" { (o.by) } th scope="col" { "answers" } th scope="col" { "share" } th scope="col" { (name) } } }
                tbody {
                    @for (label, s) in &rows {
                        tr class=[few(s).then_some("few")] {
                            th scope="row" { (label) }
                            td { (s.metrics.count) }
                            td { (format!("{:.1}%", 100.0 * s.share)) }
                            @if few(s) {
                                td { "too few answers" }
                            } @else {
                                td { (view::headline(kind, &s.metrics).map(|h| view::format_value(kind, h.value)).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn terms(d: &ReportData) -> Markup {
    let t = &d.terms;
    html! {
        section aria-labelledby="terms-h" {
            h2 id="terms-h" { "Rising terms" }
            @if t.truncated {
                p class="note" { "From the newest " (t.comments) " comments of each period." }
            }
            @if t.rising.is_empty() {
                p { "No term rose in " (t.comments) " comments." }
            } @else {
                table class="terms" {
                    thead { tr { th scope="col" { "term" } th scope="col" { "comments now" } th scope="col" { "before" } th scope="col" { "lift" } } }
                    tbody {
                        @for term in &t.rising {
                            tr { th scope="row" { (term.term) } td { (term.count) } td { (term.previous_count) } td { (format!("×{:.1}", term.lift)) } }
                        }
                    }
                }
            }
        }
    }
}

/// The comment filters by tone (the comment's sentiment) and by theme (the section's themes,
/// and the one chosen if it is not among them).
fn tone_and_theme(o: &PageOptions, d: &ReportData) -> Markup {
    let tone = o.params.filter.sentiment.map(|t| format!("{t:?}").to_lowercase());
    let chosen = o.params.filter.themes.first();
    let mut themes: Vec<(&str, &str)> =
        d.themes.iter().flat_map(|r| &r.themes).map(|t| (t.key.as_str(), t.label.as_str())).collect();
    if let Some(key) = chosen.filter(|k| !themes.iter().any(|(t, _)| t == k)) {
        themes.push((key, key));
    }
    html! {
        label { "Tone "
            select name="sentiment" {
                option value="" { "all" }
                @for value in ["positive", "neutral", "negative"] {
                    option value=(value) selected[tone.as_deref() == Some(value)] { (value) }
                }
            }
        }
        @if !themes.is_empty() {
            label { "Theme "
                select name="theme" {
                    option value="" { "all" }
                    @for (key, label) in &themes {
                        option value=(key) selected[chosen.map(String::as_str) == Some(*key)] { (label) }
                    }
                }
            }
        }
    }
}

/// The comment list, its filters and paging, and the CSV download of `export` (the survey).
fn comments(o: &PageOptions, d: &ReportData, export: Option<&str>) -> Markup {
    let kind = d.survey.kind;
    let band = o.params.filter.band.map(|b| format!("{b:?}").to_lowercase());
    // The segment select filters by the breakdown's attribute (a question's options are
    // the Questions section's links, which narrow the whole page).
    let segments: Option<Vec<&str>> = d
        .scores
        .as_ref()
        .filter(|_| !o.by.starts_with("answers."))
        .map(|s| s.breakdown.segments.iter().filter_map(|s| s.value.as_deref()).collect());
    let segment_name = format!("attributes.{}", o.by);
    html! {
        section aria-labelledby="comments-h" class="comments" {
            h2 id="comments-h" { "Latest comments" }
            form method="get" class="controls no-print" aria-label="Comment filters" id="comment-filters" {
                @for (k, v) in &o.query {
                    @if !["band", "q", "cursor", "sentiment", "theme"].contains(&k.as_str()) && *k != segment_name {
                        input type="hidden" name=(k) value=(v);
                    }
                }
                @if kind == feedbackd_domain::SurveyKind::Nps {
                    label { "Score band "
                        select name="band" {
                            option value="" { "all" }
                            @for b in ["detractor", "passive", "promoter"] {
                                option value=(b) selected[band.as_deref() == Some(b)] { (b) "s" }
                            }
                        }
                    }
                }
                @if let Some(segments) = &segments {
                    label { (o.by) " "
                        select name=(segment_name) {
                            option value="" { "all" }
                            @for s in segments {
                                option value=(s) selected[o.segment() == Some(*s)] { (s) }
                            }
                        }
                    }
                }
                (tone_and_theme(o, d))
                label { "Search " input type="search" name="q" value=(o.params.filter.text.clone().unwrap_or_default()); }
                button type="submit" { "Filter" }
            }
            @if let Some(export) = export {
                p class="no-print" {
                    a class="button" id="download-csv" download
                        href=(format!("{export}?{}", o.link(&[]))) { "Download CSV" }
                    " " span id="download-status" role="status" {}
                }
            }
            @if d.comments.data.is_empty() {
                p id="no-comments" { "No comments match." }
            }
            ol class="comment-list" {
                @for a in &d.comments.data {
                    li class=(format!("comment {}", a.score.map(|s| view::band_class(kind, s)).unwrap_or("neutral"))) {
                        p class="meta" {
                            @if let Some(score) = a.score { span class="score" { (score) } " · " }
                            time datetime=(a.answered_at.to_rfc3339()) { (local(a.answered_at, o.params.tz)) }
                            @if let Some(v) = a.attributes.get(&o.by).and_then(|v| v.as_str()) { " · " (v) }
                        }
                        // Comments are untrusted: maud escapes them (and the search highlight,
                        // which is not escaped by PostgreSQL, is not used).
                        p class="text" { (a.comment.as_deref().unwrap_or("")) }
                        (questions::answers(questions::Words::of(&d.survey), a.answers.as_ref()))
                    }
                }
            }
            nav class="paging no-print" aria-label="Comment pages" {
                @if o.cursor.is_some() { a href=(format!("?{}", o.link(&[]))) { "Newest" } " " }
                @if let Some(next) = &d.comments.next_cursor {
                    a id="older" href=(format!("?{}", o.link(&[("cursor", next)]))) { "Older comments" }
                }
            }
        }
    }
}
