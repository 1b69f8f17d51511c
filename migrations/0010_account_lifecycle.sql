-- The account lifecycle and what happened (issues 24 and 25). Portable SQL (SQLite and
-- PostgreSQL): TEXT ids, BIGINT unix-millisecond timestamps, JSON as TEXT.

-- A disabled account completes no login; its sessions are revoked when it is disabled.
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT;
ALTER TABLE accounts ADD COLUMN disabled_reason TEXT;
-- Provisioned ahead of its first login (`POST /admin/v1/accounts`): the first login whose
-- unionid is this one links here instead of creating an account (a phone-provisioned account
-- is found by the phone binding, as any account is).
ALTER TABLE accounts ADD COLUMN provisioned_at BIGINT;
ALTER TABLE accounts ADD COLUMN provisioned_unionid TEXT;
CREATE UNIQUE INDEX accounts_provisioned_unionid ON accounts (provisioned_unionid);

-- What happened, written in the same transaction as the change that caused it: the admin
-- event log reads it, the webhook outbox delivers it. No foreign key: an event outlives the
-- account it names (`account.deleted` is kept, without personal data).
CREATE TABLE events (
    id          TEXT PRIMARY KEY,   -- evt_ + 32 hex digits (a UUID v4 without dashes)
    type        TEXT NOT NULL,      -- account.created, login.succeeded, login.refused, ...
    account_id  TEXT,
    actor       TEXT NOT NULL,      -- who caused it: system, account:<id>, client:<id>, admin:<sub>
    created_at  BIGINT NOT NULL,
    data        TEXT NOT NULL       -- the event's JSON payload (`data` of the webhook body)
);

-- Newest first, cursor (created_at, id): for the whole log, per account, per type.
CREATE INDEX events_created ON events (created_at, id);
CREATE INDEX events_account ON events (account_id, created_at, id);
CREATE INDEX events_type ON events (type, created_at, id);
