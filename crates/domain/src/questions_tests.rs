use super::*;
use serde_json::json;

fn questions(v: Value) -> Questions {
    serde_json::from_value(v).expect("questions parse")
}

fn nps_questions() -> Questions {
    questions(json!([
        {"key": "reason", "kind": "choice", "text": "Why?", "other": true,
         "options": [{"key": "price", "label": "Price"}, {"key": "bugs", "label": "Bugs"},
                     {"key": "other", "label": "Else"}],
         "show_if": {"bands": ["detractor", "passive"]}},
        {"key": "areas", "kind": "choice", "text": "Which areas?", "multiple": true, "max_picks": 2,
         "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}, {"key": "c", "label": "C"}]},
        {"key": "ease", "kind": "rating", "text": "Easy?", "scale": {"min": 1, "max": 5}},
        {"key": "improve", "kind": "text", "text": "Improve?"}
    ]))
}

fn nps(score: i16) -> MainAnswer<'static> {
    MainAnswer {
        kind: SurveyKind::Nps,
        scale: SurveyKind::Nps.default_scale(),
        score: Some(score),
        options: &[],
    }
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn a_valid_set_of_questions_passes_and_round_trips() {
    let q = nps_questions();
    assert_eq!(q.check(SurveyKind::Nps), vec![]);
    let back: Questions = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
    assert_eq!(back, q);
}

#[test]
fn answers_are_stored_in_one_canonical_form() {
    let q = nps_questions();
    let sent = json!({"reason": {"options": ["other"], "other": " too slow "}, "areas": ["a", "c"],
                      "ease": 4, "improve": "Faster exports"});
    let answers = q.check_answers(sent.as_object().unwrap(), nps(3), 5000).unwrap();
    assert_eq!(
        serde_json::to_value(&answers).unwrap(),
        json!({"reason": {"options": ["other"], "other": "too slow"}, "areas": {"options": ["a", "c"]},
               "ease": {"rating": 4}, "improve": {"text": "Faster exports"}})
    );
    // A single key is a one-option answer.
    let one = q.check_answers(json!({"reason": "price"}).as_object().unwrap(), nps(0), 5000).unwrap();
    assert_eq!(one["reason"].options, ["price"]);
}

#[test]
fn every_bad_answer_names_its_question_and_option() {
    let q = nps_questions();
    let check = |v: Value, score| {
        let mut e = q.check_answers(v.as_object().unwrap(), nps(score), 10).unwrap_err();
        e.sort_by(|a, b| a.field.cmp(&b.field));
        e
    };
    let e = check(json!({"reason": "prise"}), 3);
    assert_eq!(fields(&e), ["answers.reason"]);
    assert!(e[0].message.contains("\"prise\"") && e[0].message.contains("price, bugs, other"), "{e:?}");
    let e = check(json!({"reason": ["price", "bugs"]}), 3);
    assert!(e[0].message.contains("at most 1 option"), "{e:?}");
    let e = check(json!({"areas": ["a", "b", "c"]}), 3);
    assert!(e[0].message.contains("at most 2 options"), "{e:?}");
    let e = check(json!({"areas": ["a", "a"]}), 3);
    assert!(e[0].message.contains("\"a\" is picked twice"), "{e:?}");
    assert_eq!(fields(&check(json!({"reason": ["other"]}), 3)), ["answers.reason.other"]);
    assert_eq!(
        fields(&check(json!({"reason": {"options": ["price"], "other": "x"}}), 3)),
        ["answers.reason.other"]
    );
    let e = check(json!({"reason": "price"}), 10);
    assert_eq!(fields(&e), ["answers.reason"]);
    assert!(e[0].message.contains("not shown to a promoter"), "{e:?}");
    assert_eq!(fields(&check(json!({"ease": 6}), 3)), ["answers.ease"]);
    assert_eq!(fields(&check(json!({"ease": "4"}), 3)), ["answers.ease"]);
    assert_eq!(fields(&check(json!({"improve": "x".repeat(11)}), 3)), ["answers.improve"]);
    assert_eq!(fields(&check(json!({"improve": "  "}), 3)), ["answers.improve"]);
    assert_eq!(fields(&check(json!({"nope": 1, "ease": 9}), 3)), ["answers.ease", "answers.nope"]);
    assert_eq!(fields(&check(json!({"reason": []}), 3)), ["answers.reason"]);
}

#[test]
fn retired_questions_and_options_are_refused() {
    let mut q = nps_questions();
    q.0[0].options[1].retired = true;
    q.0[3].retired = true;
    let e = q
        .check_answers(json!({"reason": "bugs", "improve": "x"}).as_object().unwrap(), nps(1), 50)
        .unwrap_err();
    let messages: Vec<_> = e.iter().map(|e| e.message.as_str()).collect();
    assert!(messages.contains(&"option \"bugs\" is retired"), "{messages:?}");
    assert!(messages.contains(&"question \"improve\" is retired"), "{messages:?}");
}

#[test]
fn bands_follow_the_metric_of_the_kind() {
    let five = Scale { min: 1, max: 5 };
    let ten = Scale { min: 0, max: 10 };
    let bands: Vec<_> = [0, 6, 7, 8, 9, 10].iter().map(|&s| Band::of(SurveyKind::Nps, ten, s)).collect();
    use Band::*;
    assert_eq!(bands, [Detractor, Detractor, Passive, Passive, Promoter, Promoter]);
    let csat: Vec<_> = [1, 3, 4, 5].iter().map(|&s| Band::of(SurveyKind::Csat, five, s)).collect();
    assert_eq!(csat, [Low, Low, High, High]);
}

#[test]
fn a_choice_survey_needs_its_main_question_and_shows_by_option() {
    let q = questions(json!([
        {"key": "main", "kind": "choice", "options": [
            {"key": "very_disappointed", "label": "Very"}, {"key": "somewhat_disappointed", "label": "Somewhat"},
            {"key": "not_disappointed", "label": "Not"}]},
        {"key": "why", "kind": "text", "text": "Why not?", "show_if": {"options": ["not_disappointed"]}}
    ]));
    assert_eq!(q.check(SurveyKind::Choice), vec![]);
    assert_eq!(
        fields(&Questions(q.0[1..].to_vec()).check(SurveyKind::Choice)),
        ["questions", "questions[0].show_if.options"]
    );
    let main = MainAnswer { kind: SurveyKind::Choice, scale: None, score: None, options: &[] };
    let ok = json!({"main": "not_disappointed", "why": "I have another tool"});
    assert_eq!(q.check_answers(ok.as_object().unwrap(), main, 100).unwrap().len(), 2);
    let hidden = json!({"main": "very_disappointed", "why": "x"});
    let e = q.check_answers(hidden.as_object().unwrap(), main, 100).unwrap_err();
    assert_eq!(fields(&e), ["answers.why"]);
    // A later PATCH is judged by the stored main answer.
    let stored = ["not_disappointed".to_string()];
    let later = MainAnswer { options: &stored, ..main };
    assert!(q.check_answers(json!({"why": "x"}).as_object().unwrap(), later, 100).is_ok());
}

#[test]
fn definitions_that_break_the_rules_are_named() {
    let q = questions(json!([
        {"key": "Bad Key", "kind": "choice", "text": "Q", "options": [{"key": "a", "label": "A"}]},
        {"key": "r", "kind": "rating", "text": "Q", "scale": {"min": 1, "max": 7}},
        {"key": "t", "kind": "text", "text": "Q", "options": [{"key": "a", "label": "A"}], "show_if": {"bands": ["low"]}},
        {"key": "r", "kind": "text"},
        {"key": "main", "kind": "choice", "text": "Q", "other": true,
         "options": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}
    ]));
    let e = q.check(SurveyKind::Nps);
    assert_eq!(
        fields(&e),
        [
            "questions[0].key",
            "questions[0].options",
            "questions[1].scale",
            "questions[2].options",
            "questions[2].show_if.bands",
            "questions[3].key",
            "questions[3].text",
            "questions[4].key",
            "questions[4].text",
            "questions[4].options[1].key",
            "questions[4].other",
        ]
    );
}

#[test]
fn updates_retire_what_they_leave_out_and_never_change_a_kind() {
    let old = nps_questions();
    let new = questions(json!([
        {"key": "reason", "kind": "choice", "text": "Why?",
         "options": [{"key": "price", "label": "Cost"}, {"key": "speed", "label": "Speed"}]}
    ]));
    let merged = new.updating(&old).unwrap();
    let keys: Vec<_> = merged.0.iter().map(|q| (q.key.as_str(), q.retired)).collect();
    assert_eq!(keys, [("reason", false), ("areas", true), ("ease", true), ("improve", true)]);
    let options: Vec<_> = merged.0[0].options.iter().map(|o| (o.key.as_str(), o.retired)).collect();
    assert_eq!(options, [("price", false), ("speed", false), ("bugs", true), ("other", true)]);
    assert_eq!(merged.check(SurveyKind::Nps), vec![]);
    let changed = questions(json!([{"key": "ease", "kind": "text", "text": "Easy?"}]));
    assert_eq!(changed.updating(&old).unwrap_err().field, "questions[0].kind");
}

#[test]
fn at_most_five_questions_are_asked() {
    let many: Vec<Value> =
        (0..6).map(|i| json!({"key": format!("q{i}"), "kind": "text", "text": "Q"})).collect();
    let e = questions(Value::Array(many)).check(SurveyKind::Csat);
    assert_eq!(fields(&e), ["questions"]);
}
