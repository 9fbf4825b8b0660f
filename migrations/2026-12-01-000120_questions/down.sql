-- Back to 000050's rollups: forget what only this migration counted, then the columns.
DELETE FROM score_rollups WHERE score = -1 OR dimension LIKE '?%';
DELETE FROM score_rollups_daily WHERE score = -1 OR dimension LIKE '?%';
DELETE FROM score_rollups_quarter WHERE score = -1;

-- As in 000030, but a repeat is not counted.
CREATE OR REPLACE FUNCTION feedbackd_apply_rollups(changed_rows responses[], sign integer) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(feedbackd_seal_lock_key());

    -- Sorted so concurrent writers take row locks in one order and cannot deadlock.
    WITH cells AS (
        SELECT c.project_id, c.survey_id, d.dimension, d.value,
               date_trunc('hour', c.answered_at, 'UTC') AS bucket, c.score, sign * count(*) AS n
        FROM unnest(changed_rows) AS c
        JOIN projects p ON p.id = c.project_id
        CROSS JOIN LATERAL (
            SELECT '' AS dimension, '' AS value
            UNION ALL
            SELECT k, left(c.attributes ->> k, 128)
            FROM unnest(p.indexed_attributes) AS k
            WHERE c.attributes ->> k IS NOT NULL
        ) d
        WHERE c.score IS NOT NULL AND c.duplicate_of IS NULL
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
    SELECT c.project_id, c.survey_id, feedbackd_quarter(c.answered_at), c.score, sign * count(*)
    FROM unnest(changed_rows) AS c
    WHERE c.score IS NOT NULL AND c.duplicate_of IS NULL
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (project_id, survey_id, bucket, score)
    DO UPDATE SET count = r.count + excluded.count;
END
$$;

-- As in 000001, but a row that becomes (or stops being) a repeat moves too.
CREATE OR REPLACE FUNCTION feedbackd_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose counted fields changed move between rollup cells.
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT o::responses FROM old_rows o JOIN new_rows n ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of)), -1);
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT n::responses FROM new_rows n JOIN old_rows o ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id, o.duplicate_of)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id, n.duplicate_of)), 1);
    RETURN NULL;
END
$$;

ALTER TABLE responses DROP COLUMN answers;
ALTER TABLE surveys DROP COLUMN questions;
-- Choice surveys cannot exist before this migration (their answers go with them).
DELETE FROM surveys WHERE kind = 'choice';
ALTER TABLE surveys DROP CONSTRAINT surveys_kind_check,
    ADD CONSTRAINT surveys_kind_check CHECK (kind IN ('nps', 'csat', 'ces', 'rating', 'text')),
    DROP CONSTRAINT surveys_check,
    ADD CONSTRAINT surveys_check CHECK ((kind = 'text') = (scale_min IS NULL AND scale_max IS NULL));
