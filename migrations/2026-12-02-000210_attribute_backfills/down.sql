-- Back to 000200: the trigger counts every indexed key for every answer again. A key
-- whose walk had not finished goes back to not indexed, its partial rollups deleted
-- (index it again after the downgrade).
DELETE FROM score_rollups r USING attribute_backfills b WHERE (r.project_id, r.dimension) = (b.project_id, b.key);
DELETE FROM score_rollups_daily r USING attribute_backfills b WHERE (r.project_id, r.dimension) = (b.project_id, b.key);
DELETE FROM score_rollups_monthly r USING attribute_backfills b WHERE (r.project_id, r.dimension) = (b.project_id, b.key);
UPDATE projects p
SET indexed_attributes = ARRAY(
    SELECT k FROM unnest(p.indexed_attributes) WITH ORDINALITY AS u(k, i)
    WHERE NOT EXISTS (SELECT FROM attribute_backfills b WHERE (b.project_id, b.key) = (p.id, u.k))
    ORDER BY i)
WHERE p.id IN (SELECT project_id FROM attribute_backfills);

CREATE OR REPLACE FUNCTION feedbackd_apply_rollups(changed_rows responses[], sign integer, only_themes boolean DEFAULT false)
    RETURNS void LANGUAGE plpgsql AS $$
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
            SELECT '' AS dimension, '' AS value WHERE NOT only_themes
            UNION ALL
            SELECT k, left(c.attributes ->> k, 128)
            FROM unnest(p.indexed_attributes) AS k
            WHERE c.attributes ->> k IS NOT NULL AND NOT only_themes
            UNION ALL
            SELECT '?' || a.key, v.value
            FROM jsonb_each(c.answers) AS a(key, answer)
            CROSS JOIN LATERAL (
                SELECT ''::text AS value
                UNION ALL SELECT jsonb_array_elements_text(a.answer -> 'options')
                UNION ALL SELECT a.answer ->> 'rating' WHERE a.answer ? 'rating'
            ) v
            WHERE NOT only_themes
            UNION ALL
            SELECT '#theme', '' WHERE c.themes IS NOT NULL
            UNION ALL
            SELECT '#theme', t FROM unnest(c.themes) AS t
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

    IF NOT only_themes THEN
        INSERT INTO score_rollups_quarter AS r (project_id, survey_id, bucket, score, count)
        SELECT c.project_id, c.survey_id, feedbackd_quarter(c.answered_at), coalesce(c.score, -1::smallint),
               sign * count(*)
        FROM unnest(changed_rows) AS c
        WHERE c.duplicate_of IS NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (project_id, survey_id, bucket, score)
        DO UPDATE SET count = r.count + excluded.count;
    END IF;
END
$$;

DROP TABLE attribute_backfills;
