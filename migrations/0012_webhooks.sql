-- Webhooks (issue 25): the endpoints events are delivered to, and the outbox. Portable SQL
-- (SQLite and PostgreSQL): TEXT ids, BIGINT unix-millisecond timestamps.

-- Where events go. `source`: `config` ([[webhooks]], rewritten at every start) or `admin`
-- (created through /admin/v1/webhooks). The secret is kept as given (`whsec_` + base64): an
-- HMAC needs the key itself. During a rotation the previous secret signs too, until
-- `previous_secret_until`.
CREATE TABLE webhook_endpoints (
    id                     TEXT PRIMARY KEY,   -- whe_ + 32 hex digits
    url                    TEXT NOT NULL,
    source                 TEXT NOT NULL,      -- config | admin
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  BIGINT,
    -- The event types delivered, each between spaces (` account.created login.succeeded `),
    -- or ` * ` for every type.
    events                 TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    disabled_at            BIGINT,
    disabled_reason        TEXT                -- admin | gone (the receiver answered 410) | config
);

-- The outbox: one row per (event, endpoint), inserted in the same transaction as the event.
-- A worker claims due rows by pushing `next_attempt_at` past its own time limit (a lease: a
-- worker killed mid-delivery leaves a row that becomes due again), then writes the outcome.
CREATE TABLE webhook_deliveries (
    event_id         TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id),
    state            TEXT NOT NULL,            -- pending | delivered | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    retry_until      BIGINT NOT NULL,          -- a failure after this is final (3 days)
    created_at       BIGINT NOT NULL,
    last_attempt_at  BIGINT,
    last_status      INTEGER,                  -- the receiver's HTTP status, if it answered
    last_error       TEXT,                     -- why the last attempt failed (never a secret)
    delivered_at     BIGINT,
    PRIMARY KEY (event_id, endpoint_id)
);

-- The worker's query: due pending rows, oldest first; also the backlog and its oldest age.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
-- The delivery log of one endpoint, newest first.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
