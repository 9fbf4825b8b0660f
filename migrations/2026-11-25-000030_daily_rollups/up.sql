-- Day rollups for closed UTC days, so that reports over months and years read one row per
-- day instead of 24 (a year's breakdown by platform read ~480,000 hourly rows).
--
-- Writing a third rollup on every insert would cost ingest throughput, so days are
-- *sealed* instead: a background task (and `feedbackd rollups seal`) copies the hourly
-- rows of finished days into `score_rollups_daily` and moves the survey's
-- `sealed_before` forward, in one transaction. From then on the triggers keep those days
-- exact like the other rollups (a late answer, an erase, retention), while answers of the
-- open day — nearly all of them — touch the hourly and quarter-hour rollups only.
-- Readers use day rows only before `sealed_before`, read in the same snapshot.
CREATE TABLE score_rollups_daily (
    project_id uuid NOT NULL,
    survey_id  uuid NOT NULL,
    dimension  text NOT NULL,
    value      text NOT NULL,
    day        timestamptz NOT NULL,  -- start of a UTC day
    score      smallint NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (project_id, survey_id, dimension, value, day, score) INCLUDE (count),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);

-- Days before `sealed_before` (a UTC midnight) are in score_rollups_daily.
CREATE TABLE rollup_seals (
    project_id    uuid NOT NULL,
    survey_id     uuid NOT NULL,
    sealed_before timestamptz NOT NULL,
    PRIMARY KEY (project_id, survey_id),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);

-- Writers hold this advisory lock shared, the sealer exclusively: a seal can then never
-- miss an hourly count that a writer has made but not yet committed, and a writer always
-- sees the seal that is in force when it decides whether a day row needs its count too.
CREATE FUNCTION feedbackd_seal_lock_key() RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 7264018390411275001::bigint $$;

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
        WHERE c.score IS NOT NULL
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
    WHERE c.score IS NOT NULL
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (project_id, survey_id, bucket, score)
    DO UPDATE SET count = r.count + excluded.count;
END
$$;

-- Seals the days of one survey in [its sealed_before (or its first hour), up_to), at most
-- max_days of them, and returns the new sealed_before (NULL when there was nothing to do).
-- Callers run it in a transaction of its own, repeatedly, so the exclusive lock is short.
CREATE FUNCTION feedbackd_seal_days(p_project uuid, p_survey uuid, up_to timestamptz, max_days integer)
    RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    from_day timestamptz;
    to_day   timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(feedbackd_seal_lock_key());
    up_to := date_trunc('day', up_to, 'UTC');
    SELECT sealed_before INTO from_day FROM rollup_seals
    WHERE project_id = p_project AND survey_id = p_survey FOR UPDATE;
    IF from_day IS NULL THEN
        -- Never sealed: start at the survey's first hour (the total's first row).
        SELECT date_trunc('day', min(bucket), 'UTC') INTO from_day FROM score_rollups
        WHERE project_id = p_project AND survey_id = p_survey AND dimension = '' AND value = '';
        from_day := least(coalesce(from_day, up_to), up_to);
    ELSIF from_day >= up_to THEN
        RETURN NULL;
    END IF;
    to_day := least(up_to, from_day + make_interval(days => max_days));

    -- One index range scan per (dimension, value): the values are found with a loose scan.
    INSERT INTO score_rollups_daily (project_id, survey_id, dimension, value, day, score, count)
    WITH RECURSIVE dims(dimension, value) AS (
        (SELECT dimension, value FROM score_rollups
         WHERE project_id = p_project AND survey_id = p_survey
         ORDER BY dimension, value LIMIT 1)
        UNION ALL
        SELECT n.dimension, n.value FROM dims d CROSS JOIN LATERAL (
            SELECT r.dimension, r.value FROM score_rollups r
            WHERE r.project_id = p_project AND r.survey_id = p_survey
              AND (r.dimension, r.value) > (d.dimension, d.value)
            ORDER BY r.dimension, r.value LIMIT 1) n
    )
    SELECT p_project, p_survey, d.dimension, d.value, date_trunc('day', r.bucket, 'UTC'), r.score, sum(r.count)
    FROM dims d
    JOIN score_rollups r ON r.project_id = p_project AND r.survey_id = p_survey
        AND r.dimension = d.dimension AND r.value = d.value
        AND r.bucket >= from_day AND r.bucket < to_day
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(r.count) <> 0;

    INSERT INTO rollup_seals (project_id, survey_id, sealed_before) VALUES (p_project, p_survey, to_day)
    ON CONFLICT (project_id, survey_id) DO UPDATE SET sealed_before = excluded.sealed_before;
    RETURN to_day;
END
$$;
