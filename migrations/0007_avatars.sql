-- The avatars people fill in (头像昵称填写), re-encoded as PNG, and where WeChat's asynchronous
-- content check (media_check_async) stands: pending until its result arrives, then accepted
-- (shown) or refused (never shown). Only the newest pending and the newest accepted are kept.

CREATE TABLE avatars (
    id          TEXT PRIMARY KEY,             -- random: the URL /avatars/<id>.png
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    png         TEXT NOT NULL,                -- the PNG, base64 (portable between databases)
    status      TEXT NOT NULL,                -- pending | accepted | refused
    trace_id    TEXT,                         -- media_check_async's, to match its result
    created_at  BIGINT NOT NULL
);

CREATE INDEX avatars_account ON avatars (account_id, created_at);
CREATE INDEX avatars_trace ON avatars (trace_id);
