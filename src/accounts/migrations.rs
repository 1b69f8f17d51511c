//! The SQL migrations in `migrations/`, embedded in the binary.
//!
//! `sqlx::migrate!` would need sqlx's `macros` feature; this source embeds the same files with
//! the same versions, descriptions and checksums, so switching to the macro later is seamless.
//! A new migration file needs a line here.

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts",
        include_str!("../../migrations/0001_accounts.sql"),
    ),
    (
        2,
        "refresh tokens",
        include_str!("../../migrations/0002_refresh_tokens.sql"),
    ),
    (
        3,
        "database id",
        include_str!("../../migrations/0003_database_id.sql"),
    ),
    // 4, not 3: main's 0003_database_id.sql came meanwhile; versions need not be contiguous.
    (
        4,
        "refresh client",
        include_str!("../../migrations/0004_refresh_client.sql"),
    ),
    (
        5,
        "placeholder profiles",
        include_str!("../../migrations/0005_placeholder_profiles.sql"),
    ),
    (
        6,
        "profiles",
        include_str!("../../migrations/0006_profiles.sql"),
    ),
    (
        7,
        "avatars",
        include_str!("../../migrations/0007_avatars.sql"),
    ),
    // 10: the lifecycle and events of issues 24 and 25 (5-9 left to migrations of other
    // work in flight).
    (
        10,
        "account lifecycle",
        include_str!("../../migrations/0010_account_lifecycle.sql"),
    ),
    // 11: the OpenID Provider's SSO sessions (issues 24 and 25); it names only `accounts`,
    // so it applies before 12 on a new database and after it on one that has 12 already.
    (
        11,
        "sso sessions",
        include_str!("../../migrations/0011_sso_sessions.sql"),
    ),
    // 12: webhook endpoints and the outbox (issue 25).
    (
        12,
        "webhooks",
        include_str!("../../migrations/0012_webhooks.sql"),
    ),
    // 13: a provisioned phone number is not a proven one (the review of issue 24).
    (
        13,
        "provisioned phone",
        include_str!("../../migrations/0013_provisioned_phone.sql"),
    ),
];

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

pub(super) async fn migrator() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded).await
}
