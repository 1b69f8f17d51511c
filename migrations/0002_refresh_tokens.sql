-- Refresh tokens, rotated on use. A family is one login session: every rotation adds a token to
-- it, and presenting a used token revokes the whole family. Only SHA-256 hashes are stored.

CREATE TABLE refresh_families (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE INDEX refresh_families_account_id ON refresh_families (account_id);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
