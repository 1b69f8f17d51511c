-- The OpenID Provider's single sign-on sessions (issues 24 and 25), in SQL so that an admin can
-- list and end them, and disabling or deleting an account ends them. Portable SQL (SQLite and
-- PostgreSQL): TEXT ids, BIGINT unix-millisecond timestamps. Only `accounts` is named, so the
-- migration applies before or after 0012.

-- One row per browser login. The browser's `saoma_sso` cookie holds a secret; only its SHA-256
-- is kept (`id_hash`). `sid` is the session's public name (id_tokens, logout tokens, the admin
-- API, `session.revoked`): random, and not the cookie's secret.
CREATE TABLE sso_sessions (
    id_hash       TEXT PRIMARY KEY,
    sid           TEXT NOT NULL UNIQUE,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    app_id        TEXT NOT NULL,
    auth_time     BIGINT NOT NULL,    -- unix seconds: when the person scanned
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL,    -- the last authorization request it answered
    expires_at    BIGINT NOT NULL
);

-- An account's sessions (the admin API, disable, delete); the sweep of expired rows.
CREATE INDEX sso_sessions_account ON sso_sessions (account_id);
CREATE INDEX sso_sessions_expires ON sso_sessions (expires_at);

-- The OpenID clients that received tokens under a session: each gets a back-channel logout
-- token when the session ends.
CREATE TABLE sso_session_clients (
    sid        TEXT NOT NULL REFERENCES sso_sessions (sid) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    first_at   BIGINT NOT NULL,
    PRIMARY KEY (sid, client_id)
);
