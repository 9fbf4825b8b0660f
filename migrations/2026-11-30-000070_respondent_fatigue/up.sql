-- Respect for the respondent (issue 20): project-wide fatigue rules, what "shown" means,
-- response limits and schedules.

-- The project's fatigue rules (JSON, defaults in domain::fatigue: one survey per person per
-- 14 days, one per session, three days' rest after a survey was shown and ignored) and the
-- time zone its schedules are written in.
ALTER TABLE projects
    ADD COLUMN fatigue jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

-- A survey may open at a time, close at a time, and close itself at a number of answers.
-- closed_at is set (once) when the limit is reached, in the transaction that stores the
-- last answer it allows; the limit's counter lives in survey_counters so that answers do
-- not update (and so invalidate caches of) the survey row.
ALTER TABLE surveys
    ADD COLUMN opens_at timestamptz,
    ADD COLUMN closes_at timestamptz,
    ADD COLUMN response_limit integer CHECK (response_limit BETWEEN 1 AND 100000000),
    ADD COLUMN closed_at timestamptz,
    ADD CONSTRAINT surveys_schedule_order CHECK (opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at);

-- Answers stored per limited survey, counted by the writer under the row's lock.
CREATE TABLE survey_counters (
    project_id uuid NOT NULL,
    survey_id  uuid NOT NULL,
    answers    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, survey_id),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);

-- A survey actually appeared on a screen (POST /v1/responses/shown), with the widget's own
-- idempotent id, and what the server decided: whether it may be shown (cross-device
-- fatigue, the limit, the schedule) and why not. A replay gets the same decision.
CREATE TABLE survey_impressions (
    project_id    uuid NOT NULL,
    id            uuid NOT NULL,
    survey_id     uuid NOT NULL,
    respondent_id text CHECK (length(respondent_id) BETWEEN 1 AND 256),
    session_id    text CHECK (length(session_id) BETWEEN 1 AND 128),
    shown_at      timestamptz NOT NULL,
    allowed       boolean NOT NULL,
    reason        text,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);
-- The per-session cap counts a session's impressions; erasure finds a person's.
CREATE INDEX survey_impressions_session ON survey_impressions (project_id, session_id) WHERE session_id IS NOT NULL;
CREATE INDEX survey_impressions_respondent ON survey_impressions (project_id, respondent_id) WHERE respondent_id IS NOT NULL;
CREATE INDEX survey_impressions_time ON survey_impressions (project_id, shown_at);

-- A survey's history: created, paused, resumed, archived, scheduled, closed by its limit,
-- reopened. Who did it when it was a person's key.
CREATE TABLE survey_events (
    project_id uuid NOT NULL,
    survey_id  uuid NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    kind       text NOT NULL CHECK (kind IN ('created', 'updated', 'paused', 'resumed', 'archived',
                                             'scheduled', 'closed', 'reopened')),
    detail     jsonb NOT NULL DEFAULT '{}',
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);
CREATE INDEX survey_events_survey ON survey_events (project_id, survey_id, at);
