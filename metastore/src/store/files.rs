//! The few filesystem actions the metastore takes on table data: create a managed table's
//! folder, delete a managed table's or partition's data. Only local locations (`file:` URIs
//! and plain paths) are touched; other schemes are left to the engines that own them.

use std::path::PathBuf;

use crate::error::Result;

/// The local path of a location, if it is local.
pub(crate) fn local_path(location: &str) -> Option<PathBuf> {
    if let Some(rest) = location.strip_prefix("file:") {
        // file:///x, file://localhost/x and file:/x all name /x.
        let rest = rest.strip_prefix("//localhost").unwrap_or(rest);
        let trimmed = rest.trim_start_matches('/');
        return Some(PathBuf::from(format!("/{trimmed}")));
    }
    location.starts_with('/').then(|| PathBuf::from(location))
}

/// Creates a location's folder if it is local and missing.
pub(crate) fn ensure_dir(location: &str) -> Result<()> {
    if let Some(path) = local_path(location) {
        std::fs::create_dir_all(path)?;
    }
    Ok(())
}

/// Deletes a location's data if it is local; a missing folder is not an error.
pub(crate) fn delete_dir(location: &str) -> Result<()> {
    let Some(path) = local_path(location) else {
        tracing::warn!(location, "not deleting data at a non-local location");
        return Ok(());
    };
    match std::fs::remove_dir_all(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The URI Lakehive stores for a local folder.
pub(crate) fn file_uri(path: &std::path::Path) -> String {
    format!("file:{}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths() {
        assert_eq!(local_path("file:/a/b"), Some(PathBuf::from("/a/b")));
        assert_eq!(local_path("file:///a/b"), Some(PathBuf::from("/a/b")));
        assert_eq!(local_path("file://localhost/a"), Some(PathBuf::from("/a")));
        assert_eq!(local_path("/x"), Some(PathBuf::from("/x")));
        assert_eq!(local_path("s3://bucket/x"), None);
    }
}
