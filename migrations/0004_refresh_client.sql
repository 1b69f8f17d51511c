-- A refresh-token family issued to an OpenID client is bound to it: another client presenting
-- one of its tokens is refused. NULL: Saoma's own API (the scene login, the mini-program).

ALTER TABLE refresh_families ADD COLUMN client_id TEXT;
-- The scopes the client was granted, for the access tokens a refresh issues.
ALTER TABLE refresh_families ADD COLUMN client_scope TEXT;
