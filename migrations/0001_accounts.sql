-- Accounts and the WeChat identities that log into them.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids, BIGINT unix-millisecond timestamps.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    phone       TEXT UNIQUE,
    created_at  BIGINT NOT NULL
);

-- One row per (app id, openid): an openid is only unique within its app.
CREATE TABLE identities (
    provider    TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    openid      TEXT NOT NULL,
    unionid     TEXT,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    nickname    TEXT,
    avatar      TEXT,
    created_at  BIGINT NOT NULL,
    CONSTRAINT identities_app_openid UNIQUE (app_id, openid)
);

CREATE INDEX identities_unionid ON identities (unionid);
CREATE INDEX identities_account_id ON identities (account_id);
