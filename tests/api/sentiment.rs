//! Sentiment of comments (issue 24): scored by the background task after ingest, shown in
//! the list and exports, filterable by tone, and gone with an erased respondent.

use crate::helpers::TestApp;
use crate::mgmt_support::{call, secret_key};
use crate::themes::{analysing_app, until_analysed};
use feedbackd_domain::Scope;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

async fn answer(app: &TestApp, respondent: &str, score: i64, comment: Option<&str>) -> Uuid {
    let id = Uuid::now_v7();
    let mut body = json!({"id": id, "survey": "nps-main", "score": score, "respondent_id": respondent});
    if let Some(comment) = comment {
        body["comment"] = json!(comment);
    }
    assert_eq!(app.post_answer(&body).await.status(), 201);
    id
}

/// The listed answers by id, with `filter` appended to the query.
async fn listed(app: &TestApp, filter: &str) -> HashMap<Uuid, Value> {
    let (status, body) = app.read(&format!("/v1/responses?survey=nps-main{filter}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().parse().unwrap(), a.clone()))
        .collect()
}

#[tokio::test]
async fn comments_are_scored_in_the_background_and_filtered_by_tone() {
    let app = analysing_app().await;
    let happy = answer(&app, "u1", 10, Some("I love the new editor, it is great!")).await;
    let angry = answer(&app, "u2", 2, Some("The export is terrible and slow.")).await;
    let german =
        answer(&app, "u3", 8, Some("Der neue Editor ist großartig, aber der Export dauert viel zu lange."))
            .await;
    let later = answer(&app, "u4", 7, None).await;
    until_analysed(&app).await;

    let all = listed(&app, "").await;
    assert!((all[&happy]["sentiment"].as_f64().unwrap() - 0.8622).abs() < 1e-4, "{}", all[&happy]);
    assert_eq!(all[&happy]["sentiment_language"], "eng");
    assert!((all[&angry]["sentiment"].as_f64().unwrap() + 0.4767).abs() < 1e-4, "{}", all[&angry]);
    assert_eq!(all[&german]["sentiment"], Value::Null, "not English: not scored");
    assert_eq!(all[&german]["sentiment_language"], "deu");
    assert_eq!(all[&later]["sentiment"], Value::Null);
    assert_eq!(all[&later]["sentiment_language"], Value::Null);

    // A follow-up comment puts the answer back in the queue.
    let patched = app
        .client
        .patch(format!("{}/v1/responses/{later}", app.address))
        .bearer_auth(&app.fixture.publishable_key)
        .json(&json!({"comment": "I open the dashboard every morning before the team meeting starts."}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    until_analysed(&app).await;
    let all = listed(&app, "").await;
    assert_eq!(all[&later]["sentiment"], 0.0);
    assert_eq!(all[&later]["sentiment_language"], "eng");

    let ids = |m: HashMap<Uuid, Value>| m.into_keys().collect::<Vec<_>>();
    // Any other change of a comment (here an operator's) re-queues it too.
    app.execute(&format!("UPDATE responses SET comment = 'Awful.' WHERE id = '{later}'"));
    until_analysed(&app).await;
    assert_eq!(listed(&app, "").await[&later]["sentiment"], -0.4588);
    app.execute(&format!(
        "UPDATE responses SET comment = 'I open the dashboard every morning before the team meeting starts.' \
         WHERE id = '{later}'"
    ));
    until_analysed(&app).await;

    assert_eq!(ids(listed(&app, "&sentiment=positive").await), [happy]);
    assert_eq!(ids(listed(&app, "&sentiment=negative").await), [angry]);
    assert_eq!(ids(listed(&app, "&sentiment=neutral").await), [later]);
    let (status, body) = app.read("/v1/responses?sentiment=happy").await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "sentiment");
}

#[tokio::test]
async fn exports_carry_the_sentiment_and_erasure_removes_it() {
    let app = analysing_app().await;
    let happy = answer(&app, "u1", 10, Some("I love the new editor, it is great!")).await;
    answer(&app, "u2", 8, Some("Der neue Editor ist großartig, aber der Export dauert viel zu lange.")).await;
    until_analysed(&app).await;

    let csv = call(&app, Method::GET, "/v1/exports/responses?survey=nps-main", &app.fixture.secret_key, None)
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut cells: Vec<(String, String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| {
            (
                r[column("respondent_id")].to_string(),
                r[column("sentiment")].to_string(),
                r[column("sentiment_language")].to_string(),
            )
        })
        .collect();
    cells.sort();
    assert_eq!(
        cells,
        [("u1".into(), "0.8622".into(), "eng".into()), ("u2".into(), String::new(), "deu".into())]
    );

    let path = "/v1/exports/responses?survey=nps-main&format=ndjson&sentiment=positive";
    let ndjson = call(&app, Method::GET, path, &app.fixture.secret_key, None).await.text().await.unwrap();
    let lines: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], happy.to_string());
    assert_eq!(lines[0]["sentiment_language"], "eng");

    let privacy = secret_key(&app, &[Scope::Privacy]);
    assert_eq!(call(&app, Method::DELETE, "/v1/respondents/u1", &privacy, None).await.status(), 200);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE respondent_id = 'u1'"), 0);
    assert_eq!(app.count("SELECT count(*) FROM responses WHERE sentiment IS NOT NULL"), 0);
}
