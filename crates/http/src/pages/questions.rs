//! A survey's questions on the report page (issue 19): per question its answered count and
//! share; per option (or point of a rating) a bar with its count, share and 95% interval,
//! and a link to the page narrowed to those who chose it; the PMF score as a PMF survey's
//! headline; and what each listed comment answered. The numbers are those of
//! `insights::questions` (the JSON API's report) as they are: nothing is counted here.

use super::svg::{self, Caption};
use super::view::{PageOptions, ReportData};
use feedbackd_core::insights::stats::ConfidenceInterval;
use feedbackd_core::insights::{Pmf, QuestionReport, QuestionsReport};
use feedbackd_core::manage::SurveyView;
use feedbackd_domain::questions::{Answers, QuestionKind};
use feedbackd_domain::Questions;
use maud::{html, Markup};
use serde_json::Value;

/// The share of "very disappointed" the usual product-market-fit reading takes for a fit.
pub const PMF_BENCHMARK: f64 = 0.4;

/// A share (0..1) as the page prints it: a percentage with one decimal.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// A 95% interval of a share as the page prints it; a dash when nobody answered.
pub fn interval(ci: Option<ConfidenceInterval>) -> String {
    match ci {
        Some(ci) => format!("{} – {}", percent(ci.low), percent(ci.high)),
        None => "–".into(),
    }
}

/// A survey's words: its question (a choice survey's main question has no text of its
/// own) and its questions' texts and labels.
#[derive(Clone, Copy)]
pub struct Words<'a> {
    pub question: &'a str,
    pub questions: &'a Questions,
}

impl<'a> Words<'a> {
    pub fn of(survey: &'a SurveyView) -> Self {
        Words { question: &survey.question, questions: &survey.questions }
    }

    /// A question's text; its key for one no longer defined.
    fn question(self, key: &'a str) -> &'a str {
        match self.questions.get(key) {
            Some(q) => q.text.as_deref().unwrap_or(self.question),
            None => key,
        }
    }

    /// An option's label (a rating is its own label); the key for one no longer defined.
    fn label(self, key: &str, option: &'a str) -> &'a str {
        let options = self.questions.get(key).map(|q| q.options.as_slice()).unwrap_or_default();
        options.iter().find(|o| o.key == option).map_or(option, |o| o.label.as_str())
    }
}

/// The headline of a choice survey: its PMF score against the benchmark when it is a PMF
/// survey, else how many answered.
pub fn headline(q: &QuestionsReport) -> Markup {
    let Some(pmf) = &q.pmf else {
        return html! {
            section class="headline" aria-labelledby="headline-title" {
                h2 id="headline-title" { "Answers" }
                div class="now" {
                    p class="value" id="headline-value" { (q.responses) }
                    p class="count" { "answers in the period" }
                }
            }
        };
    };
    pmf_headline(pmf)
}

/// Where a PMF score stands against the benchmark, given its 95% interval.
pub fn pmf_verdict(pmf: &Pmf) -> &'static str {
    if pmf.interval.low >= PMF_BENCHMARK {
        "Above the 40% benchmark: the whole 95% interval is above it."
    } else if pmf.interval.high < PMF_BENCHMARK {
        "Below the 40% benchmark: the whole 95% interval is below it."
    } else {
        "Not clear yet: the 95% interval includes the 40% benchmark."
    }
}

fn pmf_headline(pmf: &Pmf) -> Markup {
    let (low, high) = (pmf.interval.low, pmf.interval.high);
    let desc = format!(
        "{} of {} answers were very disappointed (95% interval {} to {}), on a scale of 0 to 100% \
         with the 40% benchmark marked.",
        percent(pmf.share),
        pmf.n,
        percent(low),
        percent(high)
    );
    let caption =
        Caption { id: "pmf", title: "Product-market fit score against the 40% benchmark", desc: &desc };
    html! {
        section class="headline" aria-labelledby="headline-title" {
            h2 id="headline-title" { "Product-market fit" }
            div class="now" {
                p class="value" id="pmf-value" { (percent(pmf.share)) }
                p class="interval" id="pmf-interval" { "95% interval " (percent(low)) " to " (percent(high)) }
                p class="count" { "very disappointed, of " (pmf.n) " answers" }
            }
            p class="change" id="pmf-verdict" { (pmf_verdict(pmf)) }
            figure class="wide" { (svg::benchmark(&caption, pmf.share, (low, high), PMF_BENCHMARK)) }
        }
    }
}

/// Which answer filters the page has, in words, and the way back to every answer.
pub fn filter_note(o: &PageOptions, words: Words<'_>) -> Markup {
    let mut by_question: Vec<(&str, Vec<&str>)> = Vec::new();
    for (_, key, option) in o.answer_params() {
        match by_question.iter_mut().find(|(k, _)| *k == key) {
            Some((_, options)) => options.push(option),
            None => by_question.push((key, vec![option])),
        }
    }
    if by_question.is_empty() {
        return html! {};
    }
    html! {
        p class="filter-note" id="answer-filter" {
            "Every figure below is of the answers that chose "
            @for (i, (key, options)) in by_question.iter().enumerate() {
                @if i > 0 { ", and " }
                @for (j, option) in options.iter().enumerate() {
                    @if j > 0 { " or " }
                    strong { (words.label(key, option)) }
                }
                " for “" (words.question(key)) "”"
            }
            ". "
            a href=(format!("?{}", o.link_without_answers())) { "Show every answer" }
        }
    }
}

/// The Questions section: one part per question, in the survey's order.
pub fn section(o: &PageOptions, d: &ReportData, q: &QuestionsReport) -> Markup {
    html! {
        section class="questions" aria-labelledby="questions-h" {
            h2 id="questions-h" { "Questions" }
            p class="note" {
                "Of " (q.responses) " answers in the period. Shares are of those who answered the "
                "question, with their 95% intervals; each option opens this page for those who chose it."
            }
            @for question in &q.questions {
                (one(o, d, q.responses, question))
            }
        }
    }
}

fn one(o: &PageOptions, d: &ReportData, responses: u64, q: &QuestionReport) -> Markup {
    let id = format!("q-{}", q.key);
    let heading = format!("{id}-h");
    let definition = d.survey.questions.get(&q.key);
    let multiple = definition.is_some_and(|q| q.multiple);
    let chosen: Vec<&str> = o.answer_params().filter(|(_, k, _)| *k == q.key).map(|(_, _, v)| v).collect();
    let first = if q.kind == QuestionKind::Rating { "rating" } else { "option" };
    html! {
        section class="question" id=(id) aria-labelledby=(heading) {
            h3 id=(heading) {
                (Words::of(&d.survey).question(&q.key))
                @if q.retired { " " span class="tag" { "retired" } }
            }
            p class="answered" {
                span class="count" { (q.answered) } " answered, " (percent(q.answered_share)) " of " (responses) " answers"
                @if let Some(mean) = q.mean {
                    @let scale = definition.and_then(|q| q.scale).map(|s| format!(" on {}–{}", s.min, s.max));
                    " · mean " span class="mean" { (format!("{mean:.2}")) } (scale.unwrap_or_default())
                }
                @if multiple { " · several picks allowed: the shares add up to more than 100%" }
                @if q.kind == QuestionKind::Text { " · free text" }
            }
            @if !q.options.is_empty() {
                table class="options" aria-labelledby=(heading) {
                    thead { tr {
                        th scope="col" { (first) } th scope="col" { "answers" }
                        th scope="col" { "share" } th scope="col" { "95% interval" }
                    } }
                    tbody {
                        @for option in &q.options {
                            @let current = chosen.contains(&option.key.as_str());
                            tr class=[option.retired.then_some("retired")] data-option=(option.key) {
                                th scope="row" {
                                    a href=(format!("?{}", o.link_to_answer(&q.key, &option.key)))
                                        aria-current=[current.then_some("true")] { (option.label) }
                                    @if option.retired { " " span class="tag" { "retired" } }
                                }
                                td class="n" { (option.count) }
                                td class="share" {
                                    (svg::share_bar(option.share, option.interval.map(|i| (i.low, i.high)),
                                        if option.retired { "retired" } else { "neutral" }))
                                    " " span { (percent(option.share)) }
                                }
                                td class="ci" { (interval(option.interval)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What a listed answer said to the survey's questions, in the survey's order: the options
/// chosen (by label, with the `other` text), the rating, the text.
pub fn answers(words: Words<'_>, answers: Option<&Value>) -> Markup {
    let Some(given) = answers.and_then(|a| serde_json::from_value::<Answers>(a.clone()).ok()) else {
        return html! {};
    };
    let said: Vec<(&str, String)> = words
        .questions
        .0
        .iter()
        .filter_map(|q| {
            let a = given.get(&q.key)?;
            let mut parts: Vec<String> =
                a.options.iter().map(|o| words.label(&q.key, o).to_string()).collect();
            parts.extend(a.other.iter().map(|t| format!("“{t}”")));
            parts.extend(a.rating.map(|r| r.to_string()));
            parts.extend(a.text.iter().map(|t| format!("“{t}”")));
            Some((words.question(&q.key), parts.join(", ")))
        })
        .collect();
    if said.is_empty() {
        return html! {};
    }
    html! {
        dl class="answers" {
            @for (question, answer) in &said {
                dt { (question) } dd { (answer) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pmf(share: f64, low: f64, high: f64) -> Pmf {
        Pmf { share, interval: ConfidenceInterval { low, high }, n: 100 }
    }

    #[test]
    fn the_pmf_verdict_reads_the_interval_not_the_point() {
        assert!(pmf_verdict(&pmf(0.5, 0.41, 0.59)).starts_with("Above"));
        assert!(pmf_verdict(&pmf(0.45, 0.35, 0.55)).starts_with("Not clear yet"));
        assert!(pmf_verdict(&pmf(0.3, 0.2, 0.399)).starts_with("Below"));
        assert_eq!(percent(0.4), "40.0%");
        assert_eq!(interval(None), "–");
    }

    #[test]
    fn a_comments_answers_read_by_label_in_the_surveys_order_and_escaped() {
        let questions: Questions = serde_json::from_value(serde_json::json!([
            {"key": "main", "kind": "choice", "options": [
                {"key": "very_disappointed", "label": "Very disappointed"},
                {"key": "other", "label": "Other"}], "other": true},
            {"key": "why", "kind": "text", "text": "Why?"}
        ]))
        .unwrap();
        let words = Words { question: "How would you feel?", questions: &questions };
        let given = serde_json::json!({"why": {"text": "<b>cost</b>"},
            "main": {"options": ["other"], "other": "meh"}, "gone": {"rating": 3}});
        let html = answers(words, Some(&given)).into_string();
        assert_eq!(
            html,
            "<dl class=\"answers\"><dt>How would you feel?</dt><dd>Other, “meh”</dd>\
             <dt>Why?</dt><dd>“&lt;b&gt;cost&lt;/b&gt;”</dd></dl>"
        );
        assert_eq!(answers(words, None).into_string(), "");
    }
}
