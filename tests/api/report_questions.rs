//! Issue 19's questions on the report page: a section per question with the questions
//! API's numbers (counts, shares, Wilson intervals, means, retired marks), option links that
//! narrow the whole page ("NPS among those who chose *price*"), each comment's answers, and
//! a choice survey's page (a PMF survey's headline is its score against the 40% bar).

use crate::helpers::{spawn_app_with, without_rate_limits, TestApp};
use crate::mgmt_support::{call, create_survey};
use crate::questions::{nps_with_questions, pmf_survey};
use crate::report::{page, session};
use reqwest::Method;
use serde_json::{json, Value};

/// The part of the page from `from` to the next `to`.
fn part<'a>(body: &'a str, from: &str, to: &str) -> &'a str {
    let start = body.find(from).unwrap_or_else(|| panic!("{from} in the page"));
    let end = body[start..].find(to).map_or(body.len(), |e| start + e);
    &body[start..end]
}

fn percent(share: &Value) -> String {
    format!("{:.1}%", 100.0 * share.as_f64().unwrap())
}

/// The page's GET (with the session) and the questions API's answer for the same query.
async fn page_and_api(app: &TestApp, cookie: &str, survey: &str, query: &str) -> (String, Value) {
    let r = page(app, Some(cookie), &format!("/reports/{survey}?{query}")).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let (status, api) = app.read(&format!("/v1/surveys/{survey}/questions?{query}")).await;
    assert_eq!(status, 200, "{api}");
    (body, api)
}

/// Every question's part of the page against the API's report of it.
fn assert_questions_as_the_api_says(body: &str, api: &Value) {
    let section = part(body, "id=\"questions-h\"", "aria-labelledby=\"terms-h\"");
    let responses = &api["responses"];
    for q in api["questions"].as_array().unwrap() {
        let key = q["key"].as_str().unwrap();
        let mine = part(section, &format!("id=\"q-{key}\""), "</section>");
        let answered = format!(
            "<span class=\"count\">{}</span> answered, {} of {responses} answers",
            q["answered"],
            percent(&q["answered_share"])
        );
        assert!(mine.contains(&answered), "{key}: {answered} in {mine}");
        let heading = part(mine, "<h3", "</h3>");
        assert_eq!(heading.contains("retired"), q["retired"] == true, "{key}: {heading}");
        if let Some(mean) = q["mean"].as_f64() {
            assert!(mine.contains(&format!("<span class=\"mean\">{mean:.2}</span>")), "{key}: {mine}");
        }
        for o in q["options"].as_array().unwrap() {
            let option = o["key"].as_str().unwrap();
            let row = part(mine, &format!("data-option=\"{option}\""), "</tr>");
            assert!(row.contains(&format!("<td class=\"n\">{}</td>", o["count"])), "{key}.{option}: {row}");
            assert!(row.contains(&format!("<span>{}</span>", percent(&o["share"]))), "{key}.{option}: {row}");
            let ci = match o["interval"].as_object() {
                Some(ci) => format!("{} – {}", percent(&ci["low"]), percent(&ci["high"])),
                None => "–".to_string(),
            };
            assert!(row.contains(&format!("<td class=\"ci\">{ci}</td>")), "{key}.{option}: {ci} in {row}");
            assert!(row.contains(o["label"].as_str().unwrap()), "{key}.{option}: {row}");
            assert_eq!(row.contains("class=\"tag\">retired"), o["retired"] == true, "{key}.{option}: {row}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_questions_section_shows_the_apis_numbers_and_an_option_narrows_the_whole_page() {
    let app = spawn_app_with(without_rate_limits).await;
    create_survey(&app, nps_with_questions("nps-q")).await;
    let answers = [
        (2, json!({"reason": "price", "areas": ["web", "ios"], "ease": 2}), Some("Too expensive for us")),
        (3, json!({"reason": "bugs", "ease": 1, "improve": "Fewer crashes"}), None),
        (5, json!({"reason": "price"}), Some("<b>bold</b> pricing")),
        (6, json!({"reason": "price", "ease": 3}), None),
        (7, json!({"reason": {"options": ["other"], "other": "the docs"}, "areas": ["api"]}), None),
        (8, json!({}), None),
        (9, json!({"areas": ["web"], "ease": 5}), None),
        (10, json!({"ease": 4, "improve": "Nothing"}), None),
    ];
    for (score, answers, comment) in answers {
        let body = json!({"survey": "nps-q", "score": score, "answers": answers, "comment": comment});
        assert_eq!(app.post_answer(&body).await.status(), 201);
    }
    // "speed" (never chosen) and the text question leave the survey: retired, still reported.
    let mut questions = nps_with_questions("nps-q")["questions"].clone();
    questions[0]["options"].as_array_mut().unwrap().retain(|o| o["key"] != "speed");
    questions.as_array_mut().unwrap().truncate(3);
    let edit = json!({"questions": questions});
    let r = call(&app, Method::PATCH, "/v1/surveys/nps-q", &app.fixture.secret_key, Some(&edit)).await;
    assert_eq!(r.status(), 200);
    let cookie = session(&app, &app.fixture.secret_key).await;

    let (body, api) = page_and_api(&app, &cookie, "nps-q", "tz=UTC").await;
    assert_eq!(api["responses"], 8);
    assert_questions_as_the_api_says(&body, &api);
    let section = part(&body, "id=\"questions-h\"", "aria-labelledby=\"terms-h\"");
    // In the survey's order, the retired ones marked.
    let order: Vec<usize> =
        ["q-reason", "q-areas", "q-ease", "q-improve"].iter().map(|id| section.find(id).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(part(section, "data-option=\"speed\"", "</tr>").contains("retired"));
    assert!(part(section, "id=\"q-improve\"", "</h3>").contains("retired"));
    assert!(section.contains("several picks allowed"), "areas is a multiple choice");
    // Each comment shows what its author answered, escaped like the comment.
    let comments = part(&body, "class=\"comment-list\"", "</ol>");
    assert!(
        comments.contains("<dt>What is the main reason for your score?</dt><dd>Price</dd>"),
        "{comments}"
    );
    assert!(comments.contains("<dd>Web, iOS</dd>") && !comments.contains("<b>bold"), "{comments}");
    // Nothing inline that the CSP would refuse.
    assert!(!body.contains(" style=") && body.matches("<script").count() == 1);

    // The option's link: the page of those who chose it, its headline the summary API's.
    let row = part(section, "data-option=\"price\"", "</tr>");
    let href = part(row, "href=\"", "\">").trim_start_matches("href=\"").replace("&amp;", "&");
    assert_eq!(href, "?tz=UTC&answers.reason=price");
    let (body, api) = page_and_api(&app, &cookie, "nps-q", &href[1..]).await;
    assert_eq!(api["responses"], 3);
    assert_questions_as_the_api_says(&body, &api);
    let (_, summary) = app.read("/v1/surveys/nps-q/summary?tz=UTC&answers[reason]=price").await;
    let score = summary["current"]["nps"]["score"].as_f64().unwrap();
    assert_eq!((summary["current"]["count"].as_u64(), score), (Some(3), -100.0));
    assert!(body.contains(&format!("id=\"headline-value\">{score:.1}<")), "NPS among price: {score}");
    let note = part(&body, "id=\"answer-filter\"", "</p>");
    assert!(note.contains("<strong>Price</strong> for “What is the main reason for your score?”"), "{note}");
    assert!(note.contains("href=\"?tz=UTC\""), "the way back: {note}");
    assert!(part(&body, "data-option=\"price\"", "</tr>").contains("aria-current=\"true\""));
    // The filter stays when the period changes, and the bracket form is the same filter.
    let period = part(&body, "aria-label=\"Period\"", "</form>");
    assert!(period.contains("name=\"answers.reason\" value=\"price\""), "{period}");
    let (bracket, _) = page_and_api(&app, &cookie, "nps-q", "tz=UTC&answers%5Breason%5D=price").await;
    assert_questions_as_the_api_says(&bracket, &api);
    // A question's options as a breakdown leave the comment filters alone.
    let r = page(&app, Some(&cookie), "/reports/nps-q?tz=UTC&by=answers.reason").await;
    let text = r.text().await.unwrap();
    assert!(!text.contains("attributes.answers.reason"), "no attribute filter named after a question");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_choice_survey_has_a_page_of_its_questions_and_a_pmf_survey_its_score_against_the_bar() {
    let app = spawn_app_with(without_rate_limits).await;
    create_survey(&app, pmf_survey("pmf")).await;
    for (pick, n) in [("very_disappointed", 9), ("somewhat_disappointed", 7), ("not_disappointed", 4)] {
        for i in 0..n {
            let mut answers = json!({"main": pick});
            if pick == "not_disappointed" {
                answers["why"] = json!("I use a spreadsheet");
            }
            let comment = (i == 0).then_some(format!("I am {pick}"));
            let body = json!({"survey": "pmf", "answers": answers, "comment": comment});
            assert_eq!(app.post_answer(&body).await.status(), 201);
        }
    }
    let cookie = session(&app, &app.fixture.secret_key).await;
    let index = page(&app, Some(&cookie), "/reports/").await.text().await.unwrap();
    assert!(index.contains("href=\"/reports/pmf\"") && !index.contains("href=\"/reports/feedback\""));

    let (body, api) = page_and_api(&app, &cookie, "pmf", "").await;
    assert_questions_as_the_api_says(&body, &api);
    let pmf = &api["pmf"];
    assert!(body.contains(&format!("id=\"pmf-value\">{}<", percent(&pmf["share"]))), "45.0%");
    let interval =
        format!("95% interval {} to {}", percent(&pmf["interval"]["low"]), percent(&pmf["interval"]["high"]));
    assert!(body.contains(&interval), "{interval}");
    assert!(body.contains("id=\"pmf-verdict\">Not clear yet: the 95% interval includes the 40% benchmark."));
    assert!(body.contains("class=\"benchmark\"") && body.contains("40% benchmark"));
    // No score, so none of the score's sections; the main question is the survey's question.
    assert!(!body.contains("id=\"headline-change\"") && !body.contains("id=\"trend\""));
    let main = part(&body, "id=\"q-main\"", "</h3>");
    assert!(main.contains("How would you feel if you could no longer use the product?"), "{main}");
    // The verbatims: comments with what each chose.
    let comments = part(&body, "class=\"comment-list\"", "</ol>");
    assert_eq!(comments.matches("<li class=\"comment neutral\"").count(), 3);
    assert!(comments.contains("<dd>Not disappointed</dd>"), "{comments}");
    assert!(comments.contains("<dd>“I use a spreadsheet”</dd>"), "{comments}");

    // Filtered by an option of the main question, the page stays a choice survey's page.
    let (body, api) = page_and_api(&app, &cookie, "pmf", "answers.main=not_disappointed").await;
    assert_eq!(api["responses"], 4);
    assert_questions_as_the_api_says(&body, &api);
    // A text survey has no page without questions, and one of its questions with them.
    let r = page(&app, Some(&cookie), "/reports/feedback").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("is a text survey without questions"));
    let ease = json!({"questions": [{"key": "ease", "kind": "rating", "text": "How easy?", "scale": {"min": 1, "max": 5}}]});
    let r = call(&app, Method::PATCH, "/v1/surveys/feedback", &app.fixture.secret_key, Some(&ease)).await;
    assert_eq!(r.status(), 200);
    let body = json!({"survey": "feedback", "comment": "Works well", "answers": {"ease": 4}});
    assert_eq!(app.post_answer(&body).await.status(), 201);
    let (body, api) = page_and_api(&app, &cookie, "feedback", "").await;
    assert_questions_as_the_api_says(&body, &api);
    assert!(
        body.contains("id=\"headline-value\">1<") && body.contains("<dt>How easy?</dt><dd>4</dd>"),
        "{body}"
    );
    let index = page(&app, Some(&cookie), "/reports/").await.text().await.unwrap();
    assert!(index.contains("href=\"/reports/feedback\""));
}
