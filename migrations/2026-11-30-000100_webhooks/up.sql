-- Events, the change feed, and webhooks (issue 18).
--
-- `events` is the transactional outbox: the statement that stores answers also writes one
-- row here per answer, in the same transaction, so an acknowledged answer always has its
-- event and a rolled-back one never does. It holds ids only, never answer text: payloads
-- are read from `responses` when delivered, so erasing an answer erases it everywhere.
--
-- Writers insert with `position` null. A sequencer (one at a time, under an advisory
-- lock) gives positions, per project, to the rows of transactions older than every
-- running one (`xid < pg_snapshot_xmin`), in insertion order. A reader of
-- `position > cursor` therefore never misses a row that commits later with a smaller
-- number: the change feed has no gaps and never reorders. Webhook endpoints are such
-- readers (`webhook_endpoints.stream_position`), so an answer costs ingest no delivery row.
CREATE TABLE events (
    -- No foreign key: checking one per answer would cost ingest, and the rows of a deleted
    -- project go with the feed's retention.
    project_id  uuid NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    -- The event's place in its project's feed: 1, 2, 3, … with no gap.
    position    bigint,
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type        text NOT NULL CHECK (type IN ('response.created', 'response.updated', 'response.erased', 'survey.digest')),
    survey_id   uuid,
    response_id uuid,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- A digest's figures (computed when it is due); null for the response events.
    data        jsonb,
    PRIMARY KEY (project_id, id)
);
-- The sequencer's queue: only rows without a position, so it stays small.
CREATE INDEX events_unsequenced ON events (id) WHERE position IS NULL;
-- The change feed of one project, a replay's range, and retention's prefix.
CREATE UNIQUE INDEX events_project_position ON events (project_id, position) WHERE position IS NOT NULL;

-- Each project's last position: positions outlive the rows' retention.
CREATE TABLE project_feeds (
    project_id    uuid PRIMARY KEY,
    last_position bigint NOT NULL
);

CREATE TABLE webhook_endpoints (
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    url          text NOT NULL CHECK (length(url) <= 2048),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    -- standard (Standard Webhooks JSON), slack, teams or discord.
    format       text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'slack', 'teams', 'discord')),
    event_types  text[] NOT NULL,
    -- Only answers of these surveys; null: every survey.
    survey_ids   uuid[],
    -- Which answers: {"band": "detractor"}, {"max_score": 6}, {"has_comment": true}; all must hold.
    condition    jsonb NOT NULL DEFAULT '{}',
    enabled      boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- The signing secret, sealed with the service's key (a dump alone cannot sign).
    secret       bytea NOT NULL,
    -- During a rotation the old secret signs too, until it expires.
    previous_secret bytea,
    previous_secret_expires_at timestamptz,
    -- Since when every attempt has failed (null after a success): five days disable it.
    failing_since timestamptz,
    -- The endpoint's place in its project's feed: every event up to here has had its first
    -- attempt, and those that need another have a delivery row. One dispatcher at a time
    -- moves it on, holding the stream until `stream_lease_until` (a dead one's comes back).
    -- Set to the feed's end when the endpoint is made or enabled again.
    stream_position    bigint NOT NULL DEFAULT 0,
    stream_lease_until timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);

-- One event sent (or owed) to one endpoint: written with its first attempt, by the
-- dispatcher that streams the feed to the endpoint, or queued by a replay. Its id is the
-- `webhook-id`, the same on every retry, a resend and a replay: receivers deduplicate on
-- it. It is derived from (endpoint, event), so the primary key is also what keeps an event
-- from being owed twice to one endpoint.
CREATE TABLE webhook_deliveries (
    project_id   uuid NOT NULL,
    id           uuid NOT NULL,
    endpoint_id  uuid NOT NULL,
    event_id     bigint NOT NULL,
    -- pending (owed), delivered, failed (the schedule ran out or the endpoint said 410),
    -- skipped (the answer was erased before it went out).
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts     integer NOT NULL DEFAULT 0,
    -- `attempts` when it was last queued (a resend or a replay starts the schedule again).
    retry_base   integer NOT NULL DEFAULT 0,
    -- When a dispatcher may take it next; a claim moves it one lease ahead, so the rows of
    -- a dispatcher that died come back by themselves.
    next_attempt_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    settled_at   timestamptz,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, endpoint_id) REFERENCES webhook_endpoints (project_id, id) ON DELETE CASCADE
);
-- The dispatchers' claim: each endpoint's due deliveries, so one endpoint's backlog never
-- hides another's.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (project_id, endpoint_id, next_attempt_at)
    WHERE state = 'pending';
-- The delivery log, newest first. (What the feed's retention must keep is found through
-- the claim's index: the pending ones are few.)
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (project_id, endpoint_id, created_at DESC, id DESC);
-- The log's retention: settled rows only, so a new delivery writes no entry here.
CREATE INDEX webhook_deliveries_settled ON webhook_deliveries (settled_at) WHERE state <> 'pending';

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    project_id   uuid NOT NULL,
    delivery_id  uuid NOT NULL,
    attempt      integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    -- delivered, gone, retry_later, failed, refused, unreachable.
    outcome      text NOT NULL,
    status       smallint,
    latency_ms   integer NOT NULL,
    -- The first bytes of the answer, or why there was none.
    response     text NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, delivery_id, attempt),
    FOREIGN KEY (project_id, delivery_id) REFERENCES webhook_deliveries (project_id, id) ON DELETE CASCADE
);
