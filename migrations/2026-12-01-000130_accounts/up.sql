-- Issue 23: people who sign in to the console, and their role in each project. An account
-- belongs to no project (one person works in several), so `users` is the one table not
-- keyed by project_id; under Citus it would be a reference table.
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Trimmed and lower-cased by the service: one account per address.
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- argon2id in PHC string form; NULL for people who sign in only through single sign-on.
    password_hash text CHECK (password_hash LIKE '$argon2id$%'),
    -- Creates projects and manages every one (the operator's first account).
    is_admin      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE memberships (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What the role may do is the scopes of crates/domain/src/accounts.rs, as for keys.
    role       text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);
