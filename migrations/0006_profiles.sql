-- The profile a person fills in (头像昵称填写), once WeChat's content check passed it: shown
-- instead of what a WeChat identity says. Goes with the account.

CREATE TABLE profiles (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    nickname    TEXT,
    updated_at  BIGINT NOT NULL
);
