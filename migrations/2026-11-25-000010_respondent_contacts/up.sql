-- Who was offered, answered or dismissed which survey, and when: the memory behind the
-- recontact rule ("do not ask again within N days"). One row per (project, survey,
-- respondent); project_id leads the key like everywhere else.
CREATE TABLE respondent_contacts (
    project_id        uuid NOT NULL,
    survey_id         uuid NOT NULL,
    respondent_id     text NOT NULL CHECK (length(respondent_id) BETWEEN 1 AND 256),
    -- When GET /v1/widget/config last told a widget to show the survey to this person.
    last_shown_at     timestamptz,
    last_answered_at  timestamptz,
    last_dismissed_at timestamptz,
    PRIMARY KEY (project_id, survey_id, respondent_id),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);
-- The widget asks "what may this person see?" across all of a project's surveys.
CREATE INDEX respondent_contacts_respondent ON respondent_contacts (project_id, respondent_id);

-- Answers are recorded here by trigger, in the transaction that stores them, so every path
-- that inserts responses (group commit, COPY, seeding) keeps the memory without knowing of
-- it. Statement-level over the transition table: one upsert per batch, aggregated per key
-- (an upsert may not touch a row twice) and sorted so concurrent writers cannot deadlock.
CREATE FUNCTION feedbackd_contacts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO respondent_contacts AS c (project_id, survey_id, respondent_id, last_answered_at)
    SELECT n.project_id, n.survey_id, n.respondent_id, max(n.answered_at)
    FROM new_rows n
    WHERE n.respondent_id IS NOT NULL
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (project_id, survey_id, respondent_id)
    DO UPDATE SET last_answered_at = greatest(c.last_answered_at, excluded.last_answered_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER responses_contacts_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_contacts_on_insert();
