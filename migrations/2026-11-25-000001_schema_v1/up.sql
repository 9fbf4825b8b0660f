-- Schema v1. Every table carries project_id and leads every key with it, so the
-- schema can be distributed by project (Citus) and no query can forget the tenant.

CREATE TABLE projects (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Browser origins allowed to send answers ("https://app.example.com"), or "*".
    allowed_origins    text[] NOT NULL DEFAULT '{}',
    retention_days     integer CHECK (retention_days > 0),
    ip_policy          text NOT NULL DEFAULT 'drop' CHECK (ip_policy IN ('drop', 'truncate', 'keep')),
    -- Attribute keys whose values get their own rollups (fast exact breakdowns).
    indexed_attributes text[] NOT NULL DEFAULT '{platform,app_version,country,locale}'
                       CHECK (cardinality(indexed_attributes) <= 16),
    -- Per-project rate-limit overrides; NULL means the service defaults.
    rate_limits        jsonb,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    kind         text NOT NULL CHECK (kind IN ('publishable', 'secret')),
    name         text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- The first characters of the token, shown in listings so a key can be recognised.
    prefix       text NOT NULL,
    -- SHA-256 of the whole token. Tokens carry 256 random bits, so a fast hash is enough;
    -- the plaintext is shown once and never stored.
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    scopes       text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (project_id, id)
);
-- Authentication looks a key up by its hash alone.
CREATE UNIQUE INDEX api_keys_token_hash ON api_keys (token_hash);

CREATE TABLE surveys (
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    key         text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    kind        text NOT NULL CHECK (kind IN ('nps', 'csat', 'ces', 'rating', 'text')),
    question    text NOT NULL CHECK (length(question) BETWEEN 1 AND 500),
    scale_min   smallint,
    scale_max   smallint,
    -- Labels, follow-up questions, translations: presentation, read by the widget.
    presentation jsonb NOT NULL DEFAULT '{}',
    -- Sample rate, recontact days, attribute filters.
    targeting   jsonb NOT NULL DEFAULT '{}',
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, key),
    CHECK ((kind = 'text') = (scale_min IS NULL AND scale_max IS NULL)),
    CHECK (scale_min IS NULL OR scale_min < scale_max)
);

CREATE TABLE responses (
    project_id     uuid NOT NULL,
    -- Made by the client (UUIDv7) or the server: the idempotency key.
    id             uuid NOT NULL,
    survey_id      uuid NOT NULL,
    survey_version integer NOT NULL,
    respondent_id  text CHECK (length(respondent_id) <= 256),
    score          smallint,
    comment        text,
    category       text CHECK (category IN ('bug', 'idea', 'praise', 'other')),
    attributes     jsonb NOT NULL DEFAULT '{}',
    context        jsonb NOT NULL DEFAULT '{}',
    client_ip      inet,
    client_time    timestamptz,
    -- When the person answered: the client's time when plausible, else the server's.
    -- Every report buckets by this column.
    answered_at    timestamptz NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);
-- Reports and the list: one survey, a time range, newest first (keyset on answered_at, id).
CREATE INDEX responses_survey_time ON responses (project_id, survey_id, answered_at DESC, id DESC);
-- Privacy erasure by respondent.
CREATE INDEX responses_respondent ON responses (project_id, respondent_id) WHERE respondent_id IS NOT NULL;

-- Counts per score are sufficient statistics for NPS, CSAT, CES, means and intervals.
-- dimension '' / value '' is the total; other rows are per indexed attribute value.
CREATE TABLE score_rollups (
    project_id uuid NOT NULL,
    survey_id  uuid NOT NULL,
    dimension  text NOT NULL,
    value      text NOT NULL,
    bucket     timestamptz NOT NULL,  -- start of a UTC hour
    score      smallint NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (project_id, survey_id, dimension, value, bucket, score),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);

-- Totals per quarter hour: every time zone's offset is a multiple of 15 minutes, so local
-- days, weeks and months in any zone (Asia/Kolkata +5:30, Asia/Kathmandu +5:45) start on
-- a quarter-hour boundary and are answered exactly from these rows plus the hourly ones.
CREATE TABLE score_rollups_quarter (
    project_id uuid NOT NULL,
    survey_id  uuid NOT NULL,
    bucket     timestamptz NOT NULL,  -- start of a UTC quarter hour
    score      smallint NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (project_id, survey_id, bucket, score),
    FOREIGN KEY (project_id, survey_id) REFERENCES surveys (project_id, id) ON DELETE CASCADE
);

-- The rollups are maintained by statement-level triggers over transition tables, inside the
-- transaction that changes responses. Every writer (group commit, COPY, erase, retention) keeps
-- them exact without being able to forget, and a replay that ON CONFLICT DO NOTHING skipped
-- never reaches the transition table, so it is never counted twice.
CREATE FUNCTION feedbackd_quarter(ts timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT date_bin('15 minutes', ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') $$;

CREATE FUNCTION feedbackd_apply_rollups(changed_rows responses[], sign integer) RETURNS void
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

CREATE FUNCTION feedbackd_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM feedbackd_apply_rollups(ARRAY(SELECT n::responses FROM new_rows n), 1);
    RETURN NULL;
END
$$;

CREATE FUNCTION feedbackd_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM feedbackd_apply_rollups(ARRAY(SELECT o::responses FROM old_rows o), -1);
    RETURN NULL;
END
$$;

CREATE FUNCTION feedbackd_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose counted fields changed move between rollup cells.
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT o::responses FROM old_rows o JOIN new_rows n ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id)), -1);
    PERFORM feedbackd_apply_rollups(ARRAY(
        SELECT n::responses FROM new_rows n JOIN old_rows o ON (n.project_id, n.id) = (o.project_id, o.id)
        WHERE (o.score, o.answered_at, o.attributes, o.survey_id)
              IS DISTINCT FROM (n.score, n.answered_at, n.attributes, n.survey_id)), 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER responses_rollups_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_rollups_on_insert();
CREATE TRIGGER responses_rollups_delete AFTER DELETE ON responses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_rollups_on_delete();
CREATE TRIGGER responses_rollups_update AFTER UPDATE ON responses
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_rollups_on_update();
