DROP FUNCTION feedbackd_seal_days(uuid, uuid, timestamptz, integer);
CREATE OR REPLACE FUNCTION feedbackd_apply_rollups(changed_rows responses[], sign integer) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    -- Sorted so concurrent writers take row locks in one order and cannot deadlock.
    INSERT INTO score_rollups AS r (project_id, survey_id, dimension, value, bucket, score, count)
    SELECT c.project_id, c.survey_id, d.dimension, d.value,
           date_trunc('hour', c.answered_at, 'UTC'), c.score, sign * count(*)
    FROM unnest(changed_rows) AS c
    JOIN projects p ON p.id = c.project_id
    CROSS JOIN LATERAL (
        SELECT '' AS dimension, '' AS value
        UNION ALL
        SELECT k, left(c.attributes ->> k, 128)
        FROM unnest(p.indexed_attributes) AS k
        WHERE c.attributes ->> k IS NOT NULL
    ) d
    WHERE c.score IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (project_id, survey_id, dimension, value, bucket, score)
    DO UPDATE SET count = r.count + excluded.count;

    INSERT INTO score_rollups_quarter AS r (project_id, survey_id, bucket, score, count)
    SELECT c.project_id, c.survey_id, feedbackd_quarter(c.answered_at), c.score, sign * count(*)
    FROM unnest(changed_rows) AS c
    WHERE c.score IS NOT NULL
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (project_id, survey_id, bucket, score)
    DO UPDATE SET count = r.count + excluded.count;
END
$$;
DROP FUNCTION feedbackd_seal_lock_key();
DROP TABLE rollup_seals;
DROP TABLE score_rollups_daily;
