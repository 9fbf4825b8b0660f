-- Issue 23: a person's signed-in sessions in the console, listable and revocable. The
-- cookie holds a random 256-bit token; only its SHA-256 is stored. Keyed by user, like
-- users (an account's sessions span its projects; access to each is checked per request).
CREATE TABLE console_sessions (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_agent   text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 300),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    PRIMARY KEY (user_id, id)
);
