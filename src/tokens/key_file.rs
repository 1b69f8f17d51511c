//! A newly generated private key, written once: created with mode 0600, never over an
//! existing file (instances starting together keep the first one's key), synced to disk.

use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// Write `pem` to `path` unless the file exists; `false` when another process wrote it first.
/// `what` names the key in errors.
pub(super) fn write_new(path: &Path, pem: &str, what: &str) -> anyhow::Result<bool> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the directory {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => {
            return Err(e).with_context(|| format!("creating the {what} {}", path.display()));
        }
    };
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the {what} {}", path.display()))?;
    Ok(true)
}
