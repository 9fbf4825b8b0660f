-- Indexing an attribute without pausing ingest (issue 25). Until now `project index`
-- filled the key's rollups from every stored answer in one transaction under the writers'
-- lock: 17 s of 503s at 10M answers. Now the fill walks back from the newest answer in
-- chunks of a few thousand, each under the lock for milliseconds, behind a watermark:
--
-- * attribute_backfills.counted_from: answers at or after it are in the key's rollups,
--   earlier ones are not yet. It starts at 'infinity' and each chunk moves it back over
--   the answers it has counted; the last chunk deletes the row, and the key is complete.
-- * The rollup trigger counts the key only for answers at or after the watermark, so a
--   chunk and a writer never count one answer twice, and none is left out: a chunk takes
--   the writers' lock exclusively, so every answer in flight has committed (and is seen)
--   before the watermark moves. Erase, retention and edits go through the same trigger.
-- * Reports treat a key with a row here as not indexed (store::indexing reads the list
--   without it) and count it from the raw answers, so every report is exact at every
--   moment; they switch to the rollups in the snapshot where the last chunk commits.
--
-- A walk that stops (the command interrupted) leaves its row: the rollups stay exact for
-- the answers above the watermark, and `project index` run again goes on from there.
CREATE TABLE attribute_backfills (
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key          text NOT NULL,
    counted_from timestamptz NOT NULL DEFAULT 'infinity',
    started_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, key)
);

-- As in 000160, and an indexed key counts an answer only from its backfill's watermark on.
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
              AND NOT EXISTS (SELECT FROM attribute_backfills b
                              WHERE (b.project_id, b.key) = (c.project_id, k) AND c.answered_at < b.counted_from)
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
