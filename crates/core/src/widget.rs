//! What a widget needs to know, and what it reports.
//!
//! The configuration (a project's open surveys, their display rules and the project's
//! fatigue rules) is the same for every visitor of a project and is read on every page
//! view, so it comes from an in-process snapshot: no database round trip, no write. For a
//! respondent it also names a candidate survey (filters and sampling, decided by a hash).
//! Whether the candidate may really appear is decided once, when the widget is about to
//! show it ([`Widgets::shown`]): that reads the person's history on every device (the
//! project's fatigue rules, the survey's recontact period, the session cap), checks the
//! schedule and the limit, and records the impression, idempotently by the widget's id.

use crate::cache::{ProjectCache, Subscriber};
use crate::manage::{ManageError, SurveyView};
use chrono::{DateTime, Utc};
use feedbackd_domain::fatigue::{self, Candidate, Fatigue, Refusal};
use feedbackd_domain::{FieldError, SurveyStatus};
use feedbackd_store::impressions::{self, NewImpression};
use feedbackd_store::models::Project;
use feedbackd_store::notify::Table;
use feedbackd_store::{contacts, surveys, Db, StoreError};
use feedbackd_store::{transaction, Conn};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use uuid::Uuid;

/// Who is asking: the app's id for the person and their attributes (plan, app_version …).
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub respondent_id: String,
    pub attributes: HashMap<String, String>,
}

/// A project's widget configuration at one moment: its active surveys (open or scheduled
/// to open) and fatigue rules. Shared by every request until it is invalidated, expires,
/// or a schedule boundary passes.
#[derive(Debug)]
pub struct Snapshot {
    /// Active surveys, oldest first, including those whose schedule is closed now.
    surveys: Vec<SurveyView>,
    pub fatigue: Fatigue,
    /// The next time a survey opens or closes by its schedule: the open set changes then.
    valid_until: Option<DateTime<Utc>>,
    /// The http layer's rendering of the configuration without a respondent (its body and
    /// ETag), made once per snapshot: the anonymous configuration is served as stored bytes.
    pub rendered: OnceLock<Rendered>,
}

/// A configuration rendered once, for every request that asks the same.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: bytes::Bytes,
    pub etag: String,
}

impl Snapshot {
    fn new(surveys: Vec<SurveyView>, fatigue: Fatigue, now: DateTime<Utc>) -> Self {
        let valid_until = surveys
            .iter()
            .flat_map(|s| [s.schedule.opens_at, s.schedule.closes_at])
            .flatten()
            .filter(|t| *t > now)
            .min();
        Snapshot { surveys, fatigue, valid_until, rendered: OnceLock::new() }
    }

    /// The surveys that take answers at `now`, oldest first.
    pub fn open_surveys(&self, now: DateTime<Utc>) -> impl Iterator<Item = &SurveyView> {
        self.surveys.iter().filter(move |s| s.is_open(now))
    }

    /// The survey to offer `audience` if the device's own rules and the server's agree: the
    /// first open survey whose filters match and whose sample takes the person.
    /// Deterministic: the same inputs always give the same answer.
    pub fn candidate(&self, audience: &Audience, now: DateTime<Utc>) -> Option<&SurveyView> {
        self.open_surveys(now).find(|s| {
            s.targeting.matches(&audience.attributes) && s.targeting.samples(s.id, &audience.respondent_id)
        })
    }

    fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.valid_until.map_or(true, |t| now < t)
    }
}

/// What the widget reports when a survey is about to appear.
#[derive(Debug, Clone)]
pub struct Impression {
    /// Made by the widget (UUIDv7); a retry sends the same.
    pub id: Uuid,
    /// The survey's key or id.
    pub survey: String,
    pub respondent_id: Option<String>,
    /// The widget's session (one browser tab's visit, or an app's foreground session).
    pub session_id: Option<String>,
}

/// The decision on an impression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownOutcome {
    pub survey_id: Uuid,
    /// `Ok`: the widget may show the survey; otherwise why not.
    pub decision: Result<(), Refusal>,
    /// Whether this call recorded it (false: a replay of the same id).
    pub created: bool,
}

/// The widget side of the service: snapshots by project, and the decisions.
#[derive(Clone)]
pub struct Widgets {
    db: Db,
    /// Forgotten when the project's surveys or settings change, in any process.
    snapshots: ProjectCache<Uuid, Arc<Snapshot>>,
}

impl Widgets {
    /// Snapshots live at most `ttl` (the fallback when invalidations are not heard).
    pub fn new(db: Db, ttl: std::time::Duration) -> Self {
        let snapshots =
            ProjectCache::new(100_000, ttl, &[Table::Surveys, Table::Projects], |project, _| Some(*project));
        Widgets { db, snapshots }
    }

    /// The cache, for the listener that announces changes.
    pub fn subscriber(&self) -> Box<dyn Subscriber> {
        Box::new(self.snapshots.clone())
    }

    /// Forgets a project's snapshot (this process changed its surveys or settings).
    pub fn forget(&self, project_id: Uuid) {
        self.snapshots.forget_project(project_id);
    }

    /// The project's configuration now: from memory, or read once from the database.
    pub async fn snapshot(&self, project: &Project, now: DateTime<Utc>) -> Result<Arc<Snapshot>, StoreError> {
        let snapshot = self.snapshots.get_or_load(project.id, || self.load(project, now)).await?;
        if snapshot.is_current(now) {
            return Ok(snapshot);
        }
        // A schedule boundary passed: the open set changed.
        self.snapshots.forget(&project.id);
        self.snapshots.get_or_load(project.id, || self.load(project, now)).await
    }

    async fn load(&self, project: &Project, now: DateTime<Utc>) -> Result<Arc<Snapshot>, StoreError> {
        let project_id = project.id;
        let fatigue = Fatigue::from_stored(&project.fatigue);
        let rows =
            self.db.run(move |conn| surveys::list_by_status(conn, project_id, SurveyStatus::Active)).await?;
        let surveys = rows
            .into_iter()
            .map(SurveyView::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok(Arc::new(Snapshot::new(surveys, fatigue, now)))
    }

    /// Decides whether a survey may appear now and records the impression (see the module
    /// documentation). A replay of an impression's id gets the decision first recorded.
    pub async fn shown(
        &self,
        project: &Project,
        impression: Impression,
    ) -> Result<ShownOutcome, ManageError> {
        let (project_id, rules) = (project.id, Fatigue::from_stored(&project.fatigue));
        self.db
            .run(move |conn| {
                transaction(conn, |conn| decide_and_record(conn, project_id, &rules, &impression, Utc::now()))
            })
            .await
    }
}

fn decide_and_record(
    conn: &mut Conn,
    project_id: Uuid,
    rules: &Fatigue,
    imp: &Impression,
    now: DateTime<Utc>,
) -> Result<ShownOutcome, ManageError> {
    if let Some(replay) = replayed(conn, project_id, imp.id)? {
        return Ok(replay);
    }
    let survey = find_survey(conn, project_id, &imp.survey)?;
    let respondent = imp.respondent_id.as_deref();
    let contacts = match respondent {
        Some(r) => {
            impressions::lock_respondent(conn, project_id, r)?;
            impressions::contacts(conn, project_id, r)?
        }
        None => Vec::new(),
    };
    let session_shown = match imp.session_id.as_deref() {
        Some(session) => impressions::shown_in_session(conn, project_id, session)?,
        None => 0,
    };
    let candidate = Candidate {
        survey_id: survey.id,
        exempt: survey.targeting.fatigue_exempt,
        recontact_days: survey.targeting.recontact_days,
        open: survey.is_open(now),
    };
    let decision = fatigue::may_show(candidate, rules, &contacts, session_shown, now);
    let new = NewImpression {
        project_id,
        id: imp.id,
        survey_id: survey.id,
        respondent_id: respondent,
        session_id: imp.session_id.as_deref(),
        shown_at: now,
        allowed: decision.is_ok(),
        reason: decision.err().map(Refusal::as_str),
    };
    if !impressions::insert(conn, &new)? {
        // The same id arrived twice at once; the other call's decision stands.
        return replayed(conn, project_id, imp.id)?
            .ok_or_else(|| ManageError::Store(StoreError::Internal("impression vanished".into())));
    }
    if let (Ok(()), Some(r)) = (decision, respondent) {
        contacts::record_shown(conn, project_id, survey.id, r, now)?;
    }
    Ok(ShownOutcome { survey_id: survey.id, decision, created: true })
}

fn replayed(conn: &mut Conn, project_id: Uuid, id: Uuid) -> Result<Option<ShownOutcome>, ManageError> {
    Ok(impressions::find(conn, project_id, id)?.map(|(survey_id, allowed, reason)| ShownOutcome {
        survey_id,
        decision: if allowed {
            Ok(())
        } else {
            Err(reason.as_deref().and_then(Refusal::parse).unwrap_or(Refusal::Closed))
        },
        created: false,
    }))
}

/// The survey a widget names, by key or id. Widgets send it in a body, so an unknown one is
/// a bad field (422), not a missing resource.
fn find_survey(conn: &mut Conn, project_id: Uuid, reference: &str) -> Result<SurveyView, ManageError> {
    match crate::manage::find_survey(conn, project_id, reference) {
        Ok(found) => found.try_into(),
        Err(ManageError::NotFound(message)) => {
            Err(ManageError::Invalid(vec![FieldError::new("survey", message)]))
        }
        Err(other) => Err(other),
    }
}

/// Records that a person closed a survey without answering: it is no longer "ignored",
/// and its recontact period and the project's rest count from now.
pub async fn dismiss(
    db: &Db,
    project_id: Uuid,
    survey: String,
    respondent_id: String,
    now: DateTime<Utc>,
) -> Result<Uuid, ManageError> {
    db.run(move |conn| {
        let found = find_survey(conn, project_id, &survey)?;
        contacts::record_dismissal(conn, project_id, found.id, &respondent_id, now)?;
        Ok(found.id)
    })
    .await
}
