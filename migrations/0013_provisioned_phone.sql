-- A phone number an admin provisioned (`POST /admin/v1/accounts`) is the admin's word, not a
-- proof: until its owner proves it (SMS or WeChat's getPhoneNumber), `phone` holds it only so
-- that the binding finds this account, and it is nobody's verified number (not in
-- /api/v1/me, the OpenID phone claims, `[admin] phones`). Set when provisioned, cleared when
-- proven. Portable SQL (SQLite and PostgreSQL).
ALTER TABLE accounts ADD COLUMN phone_provisioned_at BIGINT;
