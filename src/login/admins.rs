//! Who is an admin (`[admin]`): account ids and phone numbers, checked at start, and asked
//! again at every admin call and every console login, so that a person removed from the list
//! (after a restart) or whose account is disabled or deleted loses access at once.

use super::{Error, Saoma};
use crate::accounts::{Account, Phone};
use crate::config::AdminConfig;
use anyhow::bail;
use std::collections::HashSet;

/// The people named in `[admin]`, and the machines: the `[[oidc.clients]]` allowed
/// `client_credentials`.
#[derive(Debug, Clone, Default)]
pub struct Admins {
    accounts: HashSet<String>,
    /// E.164, as accounts hold them.
    phones: HashSet<String>,
    clients: HashSet<String>,
}

impl Admins {
    /// `[admin]`, checked: a value that is not an account id or a phone number stops the start,
    /// naming the setting.
    pub fn from_config(config: &AdminConfig) -> anyhow::Result<Admins> {
        let mut accounts = HashSet::new();
        for id in &config.accounts {
            match uuid::Uuid::parse_str(id.trim()) {
                Ok(uuid) => accounts.insert(uuid.hyphenated().to_string()),
                Err(_) => bail!(
                    "admin.accounts: {id:?} is not an account id (a UUID such as \
                     0b9e3c52-6c8f-4d1e-8f0a-3a7b6c5d4e21)"
                ),
            };
        }
        let mut phones = HashSet::new();
        for phone in &config.phones {
            match Phone::parse(phone) {
                Ok(parsed) => phones.insert(parsed.as_str().to_owned()),
                Err(e) => bail!("admin.phones: {:?}: {e}", masked(phone)),
            };
        }
        Ok(Admins {
            accounts,
            phones,
            clients: HashSet::new(),
        })
    }

    /// The machines: the ids of the clients allowed `client_credentials` now. A token of a
    /// client no longer among them opens nothing, however unexpired.
    pub fn with_machines(mut self, clients: impl IntoIterator<Item = String>) -> Admins {
        self.clients = clients.into_iter().collect();
        self
    }

    /// Whether `[admin]` names no person.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.phones.is_empty()
    }

    /// Whether some client may get admin tokens.
    pub fn has_machines(&self) -> bool {
        !self.clients.is_empty()
    }

    /// Whether the client is (still) allowed `client_credentials`.
    pub fn admits_machine(&self, client_id: &str) -> bool {
        self.clients.contains(client_id)
    }

    /// Whether the account is listed (by id or by its phone) and may act: not disabled.
    fn admits(&self, account: &Account) -> bool {
        let listed = self.accounts.contains(&account.id)
            || account
                .phone
                .as_ref()
                .is_some_and(|p| self.phones.contains(p));
        listed && account.disabled.is_none()
    }
}

/// A number as a start-up message may show it: a few digits, never the whole number.
fn masked(input: &str) -> String {
    let chars: Vec<char> = input.chars().collect();
    if chars.len() <= 6 {
        return input.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}...{tail}")
}

impl Saoma {
    /// Whether `account_id` is an admin now: named in `[admin]` (by id or phone), existing,
    /// not disabled. Read from the database at each call.
    pub async fn is_admin(&self, account_id: &str) -> Result<bool, Error> {
        let admins = &self.parts.settings.admins;
        if admins.is_empty() {
            return Ok(false);
        }
        let account = self.parts.accounts.get(account_id).await?;
        Ok(account.is_some_and(|a| admins.admits(&a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(accounts: &[&str], phones: &[&str]) -> AdminConfig {
        AdminConfig {
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn bad_values_name_the_setting_and_never_print_a_whole_number() {
        let e = Admins::from_config(&config(&["alice"], &[])).unwrap_err();
        assert!(e.to_string().contains("admin.accounts"), "{e}");
        let e = Admins::from_config(&config(&[], &["12345678901234567"])).unwrap_err();
        assert!(e.to_string().contains("admin.phones"), "{e}");
        assert!(!e.to_string().contains("12345678901234567"), "{e}");
    }

    #[test]
    fn ids_and_phones_are_normalised() {
        let admins = Admins::from_config(&config(
            &["0B9E3C52-6C8F-4D1E-8F0A-3A7B6C5D4E21"],
            &["138 0013 8000"],
        ))
        .unwrap();
        assert!(
            admins
                .accounts
                .contains("0b9e3c52-6c8f-4d1e-8f0a-3a7b6c5d4e21")
        );
        assert!(admins.phones.contains("+8613800138000"));
        assert!(
            Admins::from_config(&AdminConfig::default())
                .unwrap()
                .is_empty()
        );
    }
}
