//! `[admin]`: the people who are admins (docs/admin.md). They reach the console at `/admin/`
//! by logging in through Saoma's own OpenID Provider; the token exchange grants them
//! `saoma:admin` only while they are listed here. Checked at start by
//! `login::Admins::from_config`, which names the setting it refuses.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Account ids (UUIDs, as `GET /api/v1/me` and the admin API show them).
    pub accounts: Vec<String>,
    /// Phone numbers (`+8613800138000`, or an 11-digit mainland mobile number): whoever's
    /// account holds the number is an admin.
    pub phones: Vec<String>,
}
