-- Issue 23: invitations to a project, the audit log of who changed what, and password
-- resets by an administrator.

-- An invitation by link: the inviter sees the link once; only the SHA-256 of its token is
-- kept. It gives its role to the first person who accepts it, once, before it expires.
CREATE TABLE invitations (
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    role        text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    -- Who may accept it: anyone holding the link (''), or this address only.
    email       text NOT NULL DEFAULT '' CHECK (email = lower(email) AND length(email) <= 254),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at  timestamptz,
    PRIMARY KEY (project_id, id)
);

-- Who changed what in a project, from the console or with a key: one row per change,
-- written in the change's own transaction, never edited.
CREATE TABLE audit_events (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL DEFAULT now(),
    -- A person (their account) or a key (its id); `actor` is what the log shows of them
    -- (an email address, a key's name), kept as it was when they acted.
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    key_id     uuid,
    actor      text NOT NULL CHECK (length(actor) <= 300),
    action     text NOT NULL CHECK (length(action) <= 100),
    target     text NOT NULL DEFAULT '' CHECK (length(target) <= 300),
    detail     jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (project_id, id)
);

-- A password reset by an administrator: a link shown once to the admin, which sets a new
-- password once, within a day. Keyed by the account, like its sessions.
CREATE TABLE password_resets (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, id)
);
