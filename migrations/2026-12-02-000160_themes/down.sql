-- Back to 000120: forget the theme cells, then the function, the table and the column.
DELETE FROM score_rollups WHERE dimension = '#theme';
DELETE FROM score_rollups_daily WHERE dimension = '#theme';

DROP FUNCTION feedbackd_apply_rollups(responses[], integer, boolean);
CREATE FUNCTION feedbackd_apply_rollups(changed_rows responses[], sign integer) RETURNS void
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

DROP TABLE themes;

CREATE OR REPLACE FUNCTION feedbackd_sentiment_requeue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sentiment := NULL;
    NEW.sentiment_language := NULL;
    RETURN NEW;
END
$$;

CREATE INDEX responses_sentiment_pending ON responses (received_at)
    WHERE comment <> '' AND sentiment_language IS NULL;
DROP INDEX responses_comments_pending;
ALTER TABLE responses DROP COLUMN themes;
