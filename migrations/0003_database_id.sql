-- Facts about the database itself. `database_id` is a random name given on first start, so that
-- instances sharing a Redis can tell whether they also share their account database.

CREATE TABLE saoma_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
