//! Survey targeting beyond the basics: the widget's triggers and any/all filter groups,
//! through the management API (stored, documented, refused by path) and the widget config.

use crate::helpers::spawn_app;
use crate::json_schema::violations;
use crate::mgmt_support::{archive_fixture_surveys, call, create_survey, json};
use crate::widget_config::{config, shown};
use reqwest::Method;
use serde_json::{json, Value};

/// Targeting with every trigger and both kinds of group.
fn rich_targeting() -> Value {
    json!({
        "filters": [
            {"attribute": "country", "op": "eq", "value": "DE"},
            {"any": [{"attribute": "plan", "op": "eq", "value": "pro"},
                     {"attribute": "seats", "op": "gte", "value": "10"}]},
            {"all": [{"attribute": "app_version", "op": "gte", "value": "3"},
                     {"attribute": "app_version", "op": "lt", "value": "4"}]}
        ],
        "triggers": {
            "url": [{"match": "glob", "value": "https://shop.example.com/checkout*"},
                    {"match": "prefix", "value": "https://shop.example.com/cart"}],
            "delay_ms": 1500, "scroll_percent": 40, "event": "checkout_completed",
            "exit_intent": true, "min_page_views": 2, "min_days_seen": 3
        }
    })
}

#[tokio::test]
async fn triggers_and_filter_groups_are_stored_documented_and_given_to_widgets() {
    let app = spawn_app().await;
    let patch = json!({"targeting": rich_targeting()});
    let r = call(&app, Method::PATCH, "/v1/surveys/nps-main", &app.fixture.secret_key, Some(&patch)).await;
    assert_eq!(r.status(), 200);
    let r = call(&app, Method::GET, "/v1/surveys/nps-main", &app.fixture.secret_key, None).await;
    let survey = json(r).await;
    assert_eq!(survey["targeting"]["triggers"], rich_targeting()["triggers"]);
    assert_eq!(survey["targeting"]["filters"], rich_targeting()["filters"]);

    let doc: Value =
        app.client.get(format!("{}/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
    let schema = &doc["paths"]["/v1/surveys/{survey}"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    let found = violations(&doc, schema, &survey);
    assert!(found.is_empty(), "the survey against its schema:\n{}", found.join("\n"));

    let widget = json(config(&app, &[]).await).await;
    let nps = widget["surveys"].as_array().unwrap().iter().find(|s| s["key"] == "nps-main").unwrap();
    assert_eq!(nps["targeting"]["triggers"], rich_targeting()["triggers"], "the widget gets the triggers");
}

#[tokio::test]
async fn bad_triggers_and_groups_are_refused_naming_each_field() {
    let app = spawn_app().await;
    let targeting = json!({
        "filters": [{"any": []}, {"all": [{"attribute": "plan", "op": "in", "value": "pro"}]}],
        "triggers": {"url": [{"match": "exact", "value": ""}], "delay_ms": 600001,
                     "scroll_percent": 101, "event": "checkout completed", "min_days_seen": 4000}
    });
    let r = call(
        &app,
        Method::PATCH,
        "/v1/surveys/nps-main",
        &app.fixture.secret_key,
        Some(&json!({"targeting": targeting})),
    )
    .await;
    assert_eq!(r.status(), 422);
    let body = json(r).await;
    let mut fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "targeting.filters[0]",
            "targeting.filters[1].all[0].value",
            "targeting.triggers.delay_ms",
            "targeting.triggers.event",
            "targeting.triggers.min_days_seen",
            "targeting.triggers.scroll_percent",
            "targeting.triggers.url[0].value"
        ]
    );
    for (targeting, field) in [
        (json!({"triggers": {"url": [{"match": "regex", "value": "x"}]}}), "targeting.triggers.url[0].match"),
        (
            json!({"filters": [{"all": [{"attribute": "plan", "op": "like", "value": "x"}]}]}),
            "targeting.filters[0].all[0].op",
        ),
    ] {
        let body = json!({"targeting": targeting});
        let r = call(&app, Method::PATCH, "/v1/surveys/nps-main", &app.fixture.secret_key, Some(&body)).await;
        assert_eq!(r.status(), 422);
        assert_eq!(json(r).await["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn an_any_group_widens_who_is_asked_and_an_all_group_narrows_it() {
    let app = spawn_app().await;
    archive_fixture_surveys(&app).await;
    let mut targeting = rich_targeting();
    targeting["triggers"] = json!({});
    create_survey(&app, json!({"key": "grouped", "kind": "nps", "question": "Q?", "targeting": targeting}))
        .await;
    let cases: [(&[(&str, &str)], bool); 5] = [
        (&[("country", "DE"), ("plan", "pro"), ("app_version", "3.4")], true),
        (&[("country", "DE"), ("plan", "free"), ("seats", "25"), ("app_version", "3.4")], true),
        (&[("country", "DE"), ("plan", "free"), ("seats", "2"), ("app_version", "3.4")], false),
        (&[("country", "DE"), ("plan", "pro"), ("app_version", "4.1")], false),
        (&[("country", "FR"), ("plan", "pro"), ("app_version", "3.4")], false),
    ];
    for (attributes, expected) in cases {
        assert_eq!(shown(&app, "u1", attributes).await.is_some(), expected, "{attributes:?}");
    }
}
