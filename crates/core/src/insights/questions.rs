//! The report of a survey's questions: per question, how many answered it and how the
//! answers are spread over its options (or its scale), with shares and Wilson intervals;
//! the product-market-fit score of a PMF survey. Read from the rollups' `?KEY` dimensions,
//! like every other figure, in one snapshot.

use super::counting::{count_ranges, raw_filter, BucketCounts};
use super::figures::find;
use super::filter::Segmenting;
use super::params::ReportParams;
use super::shapes::{Plan, Range};
use super::stats::{self, ConfidenceInterval, ScoreCounts};
use super::InsightsError;
use feedbackd_domain::questions::{QuestionKind, MAIN};
use feedbackd_domain::{Question, Questions, SurveyKind};
use feedbackd_store::models::Project;
use feedbackd_store::{read_snapshot, Db, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

/// The option of a PMF survey's main question whose share is the PMF score.
pub const PMF_OPTION: &str = "very_disappointed";

/// `GET /v1/surveys/{survey}/questions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionsReport {
    pub survey_id: Uuid,
    pub survey_key: String,
    pub kind: SurveyKind,
    pub range: Range,
    /// Answers in the range (filtered), whatever they answered beyond the main question.
    pub responses: u64,
    /// The product-market-fit score: the share of `very_disappointed` among the answers to
    /// the main question of a choice survey that offers it (40 % is the usual bar).
    #[schema(required)]
    pub pmf: Option<Pmf>,
    /// In the survey's order, retired ones included (they keep their answers).
    pub questions: Vec<QuestionReport>,
    pub plan: Plan,
}

/// The PMF score with its 95 % Wilson interval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pmf {
    /// 0..1.
    pub share: f64,
    pub interval: ConfidenceInterval,
    /// Answers to the main question.
    pub n: u64,
}

/// One question's answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionReport {
    pub key: String,
    pub kind: QuestionKind,
    /// The question; null for a choice survey's `main` (the survey's `question`).
    #[schema(required)]
    pub text: Option<String>,
    pub retired: bool,
    /// Answers that answered this question.
    pub answered: u64,
    /// Share of the answers in the range that answered it.
    pub answered_share: f64,
    /// `choice`: per option (retired ones included); `rating`: per point of the scale.
    /// Shares are of `answered`: in a multiple choice they add up to more than 1.
    pub options: Vec<OptionCount>,
    /// `rating`: the mean rating.
    #[schema(required)]
    pub mean: Option<f64>,
}

/// One option (or rating point) of a question.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionCount {
    /// The option's key, or the rating as text.
    pub key: String,
    /// The option's label (the rating for a rating question).
    pub label: String,
    pub retired: bool,
    pub count: u64,
    pub share: f64,
    /// The share's 95 % Wilson interval; null when nobody answered.
    #[schema(required)]
    pub interval: Option<ConfidenceInterval>,
}

/// Counts of one question's values, summed over scores.
fn totals(counts: Option<&HashMap<Option<String>, ScoreCounts>>) -> HashMap<String, u64> {
    counts.into_iter().flatten().filter_map(|(value, c)| value.clone().map(|v| (v, c.total()))).collect()
}

/// The report of `questions` from each question's counts (value `""`: answered).
fn report(
    questions: &Questions,
    responses: u64,
    per_question: &HashMap<String, HashMap<String, u64>>,
) -> Vec<QuestionReport> {
    questions
        .0
        .iter()
        .map(|q| {
            let empty = HashMap::new();
            let counts = per_question.get(&q.key).unwrap_or(&empty);
            let answered = counts.get("").copied().unwrap_or(0);
            let option = |key: String, label: String, retired: bool| {
                let count = counts.get(&key).copied().unwrap_or(0);
                OptionCount {
                    key,
                    label,
                    retired,
                    count,
                    share: if answered == 0 { 0.0 } else { count as f64 / answered as f64 },
                    interval: stats::wilson(count, answered, stats::Z95),
                }
            };
            let options: Vec<OptionCount> = match q.kind {
                QuestionKind::Choice => {
                    q.options.iter().map(|o| option(o.key.clone(), o.label.clone(), o.retired)).collect()
                }
                QuestionKind::Rating => {
                    rating_points(q).map(|p| option(p.to_string(), p.to_string(), false)).collect()
                }
                QuestionKind::Text => vec![],
            };
            let mean = (q.kind == QuestionKind::Rating && answered > 0).then(|| {
                let sum: f64 =
                    options.iter().map(|o| o.key.parse::<f64>().unwrap_or(0.0) * o.count as f64).sum();
                sum / answered as f64
            });
            QuestionReport {
                key: q.key.clone(),
                kind: q.kind,
                text: q.text.clone(),
                retired: q.retired,
                answered,
                answered_share: if responses == 0 { 0.0 } else { answered as f64 / responses as f64 },
                options,
                mean,
            }
        })
        .collect()
}

fn rating_points(q: &Question) -> impl Iterator<Item = i16> {
    let scale = q.scale.unwrap_or(feedbackd_domain::Scale { min: 1, max: 5 });
    scale.min..=scale.max
}

/// The PMF score of a choice survey whose main question offers [`PMF_OPTION`].
fn pmf(questions: &Questions, report: &[QuestionReport]) -> Option<Pmf> {
    questions.main().filter(|m| m.options.iter().any(|o| o.key == PMF_OPTION))?;
    let main = report.iter().find(|q| q.key == MAIN)?;
    let very = main.options.iter().find(|o| o.key == PMF_OPTION)?;
    Some(Pmf { share: very.share, interval: very.interval?, n: main.answered })
}

/// The report of every question of a survey over the range and filter of `p`.
pub async fn questions(
    db: &Db,
    project: Arc<Project>,
    survey: &str,
    p: ReportParams,
) -> Result<QuestionsReport, InsightsError> {
    let survey = find(db, project.id, survey).await?;
    let definition: Questions = serde_json::from_value(survey.questions.clone()).map_err(|e| {
        StoreError::Internal(format!("survey {}: stored questions unreadable: {e}", survey.id))
    })?;
    let scored = survey.kind != SurveyKind::Choice && survey.kind != SurveyKind::Text;
    let raw = raw_filter(&p.filter, scored.then_some(survey.kind))?;
    let range = p.report_range();
    let ranges = [(range.from, range.to)];
    let (pid, sid, filter) = (project.id, survey.id, p.filter.clone());
    let keys: Vec<String> = definition.0.iter().map(|q| q.key.clone()).collect();
    let (all, per_question, plan) = db
        .run(move |conn| {
            read_snapshot(conn, |conn| {
                let (all, plan) = count_ranges(conn, pid, sid, &ranges, &filter, &raw, None)?;
                let mut per_question: HashMap<String, HashMap<String, u64>> = HashMap::new();
                for key in keys {
                    let seg = Segmenting::Question(key.clone());
                    let (counts, _): (BucketCounts, Plan) =
                        count_ranges(conn, pid, sid, &ranges, &filter, &raw, Some(&seg))?;
                    per_question.insert(key, totals(counts.first()));
                }
                Ok::<_, StoreError>((all, per_question, plan))
            })
        })
        .await?;
    let responses = all.first().and_then(|b| b.get(&None)).map_or(0, |c| c.total());
    let questions = report(&definition, responses, &per_question);
    Ok(QuestionsReport {
        survey_id: survey.id,
        survey_key: survey.key,
        kind: survey.kind,
        range,
        responses,
        pmf: pmf(&definition, &questions),
        questions,
        plan,
    })
}
