#!/usr/bin/env bash
# The event log at a million events (docs/admin.md): builds a SQLite database with Saoma's
# migrations, inserts 1,000,000 events (5,000 accounts, three types), and prints the query plan
# and the time of each listing `GET /admin/v1/events` runs (src/accounts/event_log.rs): the
# newest page, a page after a cursor, per account, per type. Needs sqlite3. Usage:
#   bench/events-index.sh [database file]
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:-$(mktemp -d)/events.db}"
rm -f "$db"
for migration in migrations/*.sql; do sqlite3 "$db" <"$migration"; done
echo "==> inserting 1,000,000 events into $db"
sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
  INSERT INTO events SELECT 'evt_' || printf('%032x', i),
    CASE i % 9 WHEN 0 THEN 'account.created' WHEN 1 THEN 'login.refused' ELSE 'login.succeeded' END,
    'acc-' || (i % 5000), 'system', 1700000000000 + i * 10,
    '{\"login\":{\"provider\":\"mini_program\",\"app_id\":\"wx0123456789abcdef\",\"ip\":\"203.0.113.7\"}}'
  FROM n;"
columns="id, type, account_id, actor, created_at, data"
order="ORDER BY created_at DESC, id DESC LIMIT 100"
for where in "" \
  "WHERE (created_at, id) < (1705000000000, 'evt_x')" \
  "WHERE account_id = 'acc-42' AND (created_at, id) < (1709000000000, 'evt_x')" \
  "WHERE type = 'login.refused' AND created_at >= 1700000000000"; do
  echo "==> SELECT ... FROM events $where $order"
  sqlite3 "$db" <<SQL
EXPLAIN QUERY PLAN SELECT $columns FROM events $where $order;
.timer on
SELECT count(*) FROM (SELECT $columns FROM events $where $order);
SQL
done
