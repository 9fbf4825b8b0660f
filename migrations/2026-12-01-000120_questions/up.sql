-- Questions beyond the score (issue 19; docs/design/0019-questions.md).
-- surveys.questions: the survey's questions (a choice survey's `main` first), checked by
-- the service on every write. responses.answers: the answers by question key, in the
-- canonical form ({"options": [...], "other": "..."} | {"rating": n} | {"text": "..."}),
-- NULL when none. Both are constant defaults: adding them rewrites nothing.
ALTER TABLE surveys ADD COLUMN questions jsonb NOT NULL DEFAULT '[]';
-- A choice survey asks its `main` question, a choice, instead of a score (a PMF survey).
ALTER TABLE surveys DROP CONSTRAINT surveys_kind_check,
    ADD CONSTRAINT surveys_kind_check CHECK (kind IN ('nps', 'csat', 'ces', 'rating', 'text', 'choice')),
    DROP CONSTRAINT surveys_check,
    ADD CONSTRAINT surveys_check CHECK ((kind IN ('text', 'choice')) = (scale_min IS NULL AND scale_max IS NULL));
ALTER TABLE responses ADD COLUMN answers jsonb;

-- As in 000050, and:
-- * every answered question is counted under the dimension '?<key>': value '' (answered
--   the question), plus each option picked or the rating as text. Attribute names cannot
--   hold '?', so the dimensions never meet. Sealing, erase, retention and late answers
--   keep them exact as they keep the attributes.
-- * answers without a score (text and choice surveys) are counted too, as score -1, so
--   such a survey has totals and sealing finds its first day.
CREATE OR REPLACE FUNCTION feedbackd_apply_rollups(changed_rows responses[], sign integer) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(feedbackd_seal_lock_key());

    -- Sorted so concurrent writers take row locks in one order and cannot deadlock.
    WITH cells AS (
        SELECT c.project_id, c.survey_id, d.dimension, d.value,
               date_trunc('hour', c.answered_at, 'UTC') AS bucket, coalesce(c.score, -1::smallint) AS score,
               sign * count(*) AS n
        FROM unnest(changed_rows) AS c
        JOIN projects p ON p.id = c.project_id
        CROSS JOIN LATERAL (
            SELECT '' AS dimension, '' AS value
            UNION ALL
            SELECT k, left(c.attributes ->> k, 128)
            FROM unnest(p.indexed_attributes) AS k
            WHERE c.attributes ->> k IS NOT NULL
            UNION ALL
            SELECT '?' || a.key, v.value
            FROM jsonb_each(c.answers) AS a(key, answer)
            CROSS JOIN LATERAL (
                SELECT ''::text AS value
                UNION ALL SELECT jsonb_array_elements_text(a.answer -> 'options')
                UNION ALL SELECT a.answer ->> 'rating' WHERE a.answer ? 'rating'
            ) v
        ) d
        WHERE c.duplicate_of IS NULL
        GROUP BY 1, 2, 3, 4, 5, 6
    ), hourly AS (
        INSERT INTO score_rollups AS r (project_id, survey_id, dimension, value, bucket, score, count)
        SELECT * FROM cells ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (project_id, survey_id, dimension, value, bucket, score)
        DO UPDATE SET count = r.count + excluded.count
    )
    INSERT INTO score_rollups_daily AS r (project_id, survey_id, dimension, value, day, score, count)
    SELECT c.project_id, c.survey_id, c.dimension, c.value, date_trunc('day', c.bucket, 'UTC'), c.score, sum(c.n)
    FROM cells c
    JOIN rollup_seals s ON (s.project_id, s.survey_id) = (c.project_id, c.survey_id)
    WHERE c.bucket < s.sealed_before
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (project_id, survey_id, dimension, value, day, score)
    DO UPDATE SET count = r.count + excluded.count;

    INSERT INTO score_rollups_quarter AS r (project_id, survey_id, bucket, score, count)
    SELECT c.project_id, c.survey_id, feedbackd_quarter(c.answered_at), coalesce(c.score, -1::smallint),
           sign * count(*)
    FROM unnest(changed_rows) AS c
    WHERE c.duplicate_of IS NULL
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (project_id, survey_id, bucket, score)
    DO UPDATE SET count = r.count + excluded.count;
END
$$;

-- As in 000050, and a row whose answers change (a PATCH adding one) moves too.
CREATE OR REPLACE FUNCTION feedbackd_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT o::responses FROM old_rows o JOIN new_rows n ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of, o.answers)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of, n.answers)), -1);
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT n::responses FROM new_rows n JOIN old_rows o ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of, o.answers)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of, n.answers)), 1);
    RETURN NULL;
END
$$;

-- Answers without a score were not counted before: count them now, per survey.
SELECT feedbackd_apply_rollups(ARRAY(
    SELECT r FROM responses r WHERE r.survey_id = s.id AND r.project_id = s.project_id
    AND r.score IS NULL AND r.duplicate_of IS NULL), 1)
FROM surveys s;
