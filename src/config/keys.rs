//! No setting ignored: every key of the TOML file and every `SAOMA_*` variable must name a
//! setting, else the start stops with the closest one that does.
//!
//! The known keys are read off `Config::default()` serialized (every field serializes, secrets
//! as `[redacted]`), so a new setting is known the moment it exists.

use super::Config;
use figment::Provider;
use figment::value::{Dict, Value};
use std::collections::BTreeMap;

/// What a known key holds by default: a table to look inside, or anything else (a value, a
/// list, an unset option), whose contents are the type's to check.
#[derive(Debug)]
enum Known {
    Table(BTreeMap<String, Known>),
    Leaf,
}

fn known_keys() -> anyhow::Result<BTreeMap<String, Known>> {
    fn walk(value: serde_json::Value) -> Known {
        match value {
            serde_json::Value::Object(map) => {
                Known::Table(map.into_iter().map(|(k, v)| (k, walk(v))).collect())
            }
            _ => Known::Leaf,
        }
    }
    match walk(serde_json::to_value(Config::default())?) {
        Known::Table(keys) => Ok(keys),
        Known::Leaf => anyhow::bail!("the configuration does not serialize as a table"),
    }
}

/// Every dotted key path in `dict` that names no setting.
fn unknown_in(dict: &Dict, known: &BTreeMap<String, Known>, prefix: &str, out: &mut Vec<String>) {
    for (key, value) in dict {
        let path = format!("{prefix}{key}");
        match (known.get(key.as_str()), value) {
            (None, _) => out.push(path),
            (Some(Known::Table(inner)), Value::Dict(_, dict)) => {
                unknown_in(dict, inner, &format!("{path}."), out)
            }
            // A value where a table belongs is the type's error to report; a leaf is checked
            // by its own type.
            (Some(_), _) => {}
        }
    }
}

/// Whether the dotted `path` names a setting (or lies inside a value, whose type checks it).
fn is_known(known: &BTreeMap<String, Known>, path: &str) -> bool {
    let mut table = known;
    for part in path.split('.') {
        match table.get(part) {
            None => return false,
            Some(Known::Leaf) => return true,
            Some(Known::Table(inner)) => table = inner,
        }
    }
    true
}

/// Every known path, dotted: sections (`wechat`) and settings (`wechat.api_base`).
fn known_paths(known: &BTreeMap<String, Known>, prefix: &str, out: &mut Vec<String>) {
    for (key, value) in known {
        let path = format!("{prefix}{key}");
        if let Known::Table(inner) = value {
            known_paths(inner, &format!("{path}."), out);
        }
        out.push(path);
    }
}

/// The known spelling closest to `wrong` (as `spell` writes paths), if one is close enough to
/// be a likely typo.
fn closest(wrong: &str, paths: &[String], spell: impl Fn(&str) -> String) -> Option<String> {
    paths
        .iter()
        .map(|path| spell(path))
        .map(|candidate| (strsim::levenshtein(wrong, &candidate), candidate))
        .filter(|(distance, _)| *distance <= (wrong.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `SAOMA_` + `wechat.api_base` -> `SAOMA_WECHAT__API_BASE`.
pub(super) fn env_name(prefix: &str, path: &str) -> String {
    format!("{prefix}{}", path.to_ascii_uppercase().replace('.', "__"))
}

/// Refuse a config file key or an environment variable that names no setting.
pub(super) fn check(
    file: Option<(
        &std::path::Path,
        &figment::providers::Data<figment::providers::Toml>,
    )>,
    env: &figment::providers::Env,
    env_prefix: &str,
) -> anyhow::Result<()> {
    let known = known_keys()?;
    let mut paths = Vec::new();
    known_paths(&known, "", &mut paths);
    let mut problems = Vec::new();

    if let Some((path, toml)) = file {
        let data = toml
            .data()
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let mut unknown = Vec::new();
        for dict in data.values() {
            unknown_in(dict, &known, "", &mut unknown);
        }
        for key in unknown {
            let hint = closest(&key, &paths, str::to_owned)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            problems.push(format!("unknown key `{key}` in {}{hint}", path.display()));
        }
    }

    for (key, _) in env.iter() {
        let path = key.as_str().to_ascii_lowercase();
        if is_known(&known, &path) {
            continue;
        }
        let name = env_name(env_prefix, &path);
        let hint = closest(&name, &paths, |path| env_name(env_prefix, path))
            .map(|k| format!("; did you mean {k}?"))
            .unwrap_or_default();
        problems.push(format!("unknown environment variable {name}{hint}"));
    }

    anyhow::ensure!(
        problems.is_empty(),
        "{} (every key and SAOMA_* variable must name a setting; see docs/configuration.md)",
        problems.join("; ")
    );
    Ok(())
}
