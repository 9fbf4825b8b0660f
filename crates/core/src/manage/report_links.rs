//! Share links to one survey's report page: made by an `admin` key (or the CLI) within
//! their limits, listed without tokens, revoked; and opened, first by the token in the
//! link, then on every page by the id in the session, so that revoking or expiry ends the
//! sessions they opened at once.

use super::{find_survey, ManageError};
use chrono::{DateTime, Duration, Utc};
use feedbackd_domain::{FieldError, NewToken, SurveyKind};
use feedbackd_store::models::{NewReportLink, Project, ReportLink};
use feedbackd_store::report_links::{self, LinkWithSurvey};
use feedbackd_store::StoreError;
use feedbackd_store::{transaction, Conn, Db};
use serde::Serialize;
use uuid::Uuid;

/// Where a link leads: a page that reads the token from the fragment.
pub const SHARED_PATH: &str = "/reports/shared";
/// How long a link lasts unless asked otherwise: a week, long enough for a review cycle.
pub const DEFAULT_HOURS: u32 = 7 * 24;
/// The shortest and longest life a link may be given.
pub const MIN_HOURS: u32 = 1;
pub const MAX_HOURS: u32 = 90 * 24;
/// Links of one project that may be live (neither revoked nor expired) at once: enough for
/// any real sharing, and a bound on what a leaked admin key can scatter.
pub const MAX_LIVE_PER_PROJECT: i64 = 100;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// How long an ended (revoked or expired) link is still listed before it is deleted, when
/// the project next makes a link: long enough to see what was shared and when.
pub const KEEP_ENDED: Duration = Duration::days(30);

/// Whether a link opens its page now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkStatus {
    Active,
    Expired,
    Revoked,
}

impl LinkStatus {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Active => "active",
            LinkStatus::Expired => "expired",
            LinkStatus::Revoked => "revoked",
        }
    }
}

/// A share link as listed: never its token. Also the API's answer (`ReportLinkOut`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ReportLinkOut)]
pub struct LinkView {
    pub id: Uuid,
    pub survey_id: Uuid,
    /// The report it opens is `/reports/{survey_key}`.
    pub survey_key: String,
    pub label: Option<String>,
    /// `active` until it expires or is revoked.
    pub status: LinkStatus,
    /// The key that made it; `null` when made from the command line.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl LinkStatus {
    /// The status of `link` at `now`: a revocation outranks an expiry.
    fn of(link: &ReportLink, now: DateTime<Utc>) -> Self {
        match (link.revoked_at, link.expires_at > now) {
            (Some(_), _) => LinkStatus::Revoked,
            (None, false) => LinkStatus::Expired,
            (None, true) => LinkStatus::Active,
        }
    }
}

impl LinkView {
    fn new(link: ReportLink, survey_key: String, now: DateTime<Utc>) -> Self {
        let status = LinkStatus::of(&link, now);
        LinkView {
            id: link.id,
            survey_id: link.survey_id,
            survey_key,
            label: link.label,
            status,
            created_by: link.created_by,
            created_at: link.created_at,
            expires_at: link.expires_at,
            revoked_at: link.revoked_at,
        }
    }
}

/// A share link just made, with its address: shown this once, only the token's hash is
/// stored. Also the API's answer (`CreatedReportLinkOut`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CreatedReportLinkOut)]
pub struct CreatedLink {
    #[serde(flatten)]
    pub link: LinkView,
    /// `/reports/shared#fbk_share_…`, relative to the service's address. The token is in the
    /// fragment, which browsers never send to a server, so it reaches no log.
    #[schema(example = "/reports/shared#fbk_share_3f9c…")]
    pub url: String,
}

/// What a new link is to be.
#[derive(Debug, Default)]
pub struct LinkSpec {
    /// Hours until it expires (default [`DEFAULT_HOURS`]).
    pub expires_in_hours: Option<u32>,
    /// A name to recognise it by (who it was sent to, say).
    pub label: Option<String>,
    /// The key making it, if any.
    pub created_by: Option<Uuid>,
}

/// Makes a share link to the report of `survey` (its key or id) in the project.
pub async fn create_link(
    db: &Db,
    project_id: Uuid,
    survey: &str,
    spec: LinkSpec,
) -> Result<CreatedLink, ManageError> {
    let mut errors = Vec::new();
    let hours = spec.expires_in_hours.unwrap_or(DEFAULT_HOURS);
    if !(MIN_HOURS..=MAX_HOURS).contains(&hours) {
        errors.push(FieldError::new(
            "expires_in_hours",
            format!("must be {MIN_HOURS} to {MAX_HOURS} (90 days); got {hours}"),
        ));
    }
    let label = spec.label.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string);
    if label.as_ref().is_some_and(|l| l.chars().count() > MAX_LABEL_CHARS) {
        errors.push(FieldError::new("label", format!("longer than {MAX_LABEL_CHARS} characters")));
    }
    if !errors.is_empty() {
        return Err(ManageError::Invalid(errors));
    }
    let survey = survey.to_string();
    db.run(move |conn| {
        transaction(conn, |conn| link_in(conn, project_id, &survey, label.as_deref(), spec.created_by, hours))
    })
    .await
}

fn link_in(
    conn: &mut Conn,
    project_id: Uuid,
    survey: &str,
    label: Option<&str>,
    created_by: Option<Uuid>,
    hours: u32,
) -> Result<CreatedLink, ManageError> {
    if !report_links::lock_project(conn, project_id)? {
        return Err(super::no_project(project_id));
    }
    let found = find_survey(conn, project_id, survey)?;
    if found.kind == SurveyKind::Text {
        return Err(ManageError::Invalid(vec![FieldError::new(
            "survey",
            "is a text survey: it has no report page to share",
        )]));
    }
    let now = Utc::now();
    report_links::forget_ended(conn, project_id, now - KEEP_ENDED)?;
    if report_links::count_live(conn, project_id, now)? >= MAX_LIVE_PER_PROJECT {
        return Err(ManageError::Conflict(format!(
            "the project already has {MAX_LIVE_PER_PROJECT} live share links; revoke one first"
        )));
    }
    let token = NewToken::share_link();
    let link = report_links::create(
        conn,
        &NewReportLink {
            project_id,
            survey_id: found.id,
            token_hash: &token.hash,
            label,
            created_by,
            expires_at: now + Duration::hours(i64::from(hours)),
        },
    )?;
    let url = format!("{SHARED_PATH}#{}", token.plaintext);
    Ok(CreatedLink { link: LinkView::new(link, found.key, now), url })
}

/// The project's links (of one survey, if given), newest first, with their status.
pub async fn list_links(
    db: &Db,
    project_id: Uuid,
    survey: Option<String>,
) -> Result<Vec<LinkView>, ManageError> {
    db.run(move |conn| {
        let survey_id = match &survey {
            Some(reference) => Some(find_survey(conn, project_id, reference)?.id),
            None => None,
        };
        let now = Utc::now();
        let links = report_links::list(conn, project_id, survey_id)?;
        Ok(links.into_iter().map(|(link, key, _)| LinkView::new(link, key, now)).collect())
    })
    .await
}

/// Revokes a link of the project: pages it opened are refused from the next request on.
/// Revoking again changes nothing.
pub async fn revoke_link(db: &Db, project_id: Uuid, id: Uuid) -> Result<LinkView, ManageError> {
    db.run(move |conn| {
        let (link, key, _) = report_links::revoke(conn, project_id, id)?
            .ok_or_else(|| ManageError::NotFound(format!("no share link {id} in this project")))?;
        Ok(LinkView::new(link, key, Utc::now()))
    })
    .await
}

/// A link that opens its page now.
#[derive(Debug, Clone)]
pub struct OpenLink {
    pub id: Uuid,
    pub survey_id: Uuid,
    /// The page's address is `/reports/{survey_key}`.
    pub survey_key: String,
    pub expires_at: DateTime<Utc>,
    pub project: Project,
}

/// Why a link does not open its page.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("unknown share link")]
    Unknown,
    #[error("the share link has expired")]
    Expired,
    #[error("the share link has been revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The link whose token this is, if it opens its page at `now`. Only the token's hash is
/// looked up.
pub async fn open_link(db: &Db, token: &str, now: DateTime<Utc>) -> Result<OpenLink, LinkError> {
    let hash = feedbackd_domain::hash_token(token);
    db.run(move |conn| usable(report_links::find_by_hash(conn, &hash)?, now)).await
}

/// The link a session was opened with, read afresh, if it still opens its page at `now`.
pub async fn check_link(
    db: &Db,
    project_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<OpenLink, LinkError> {
    db.run(move |conn| usable(report_links::find(conn, project_id, id)?, now)).await
}

fn usable(found: Option<LinkWithSurvey>, now: DateTime<Utc>) -> Result<OpenLink, LinkError> {
    let (link, survey_key, project) = found.ok_or(LinkError::Unknown)?;
    match LinkStatus::of(&link, now) {
        LinkStatus::Revoked => return Err(LinkError::Revoked),
        LinkStatus::Expired => return Err(LinkError::Expired),
        LinkStatus::Active => {}
    }
    Ok(OpenLink { id: link.id, survey_id: link.survey_id, survey_key, expires_at: link.expires_at, project })
}
