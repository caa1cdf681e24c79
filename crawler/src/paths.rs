//! Pure helpers for partition folders: what one folder name means at a given depth, the
//! values of a path relative to the table root, and the mapping between catalog location
//! strings and object-store paths. No I/O here.

use std::borrow::Cow;

use metastore::partname;
use object_store::path::Path;

use crate::msck::PathValidation;

/// What a folder name means at one partition level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Folder {
    /// A partition folder holding this (unescaped) value.
    Value(String),
    /// A hidden or scratch entry (`_SUCCESS`, `.hive-staging`, `_temporary`): passed over
    /// silently.
    Hidden,
    /// Not a folder of the expected key, for this reason.
    Invalid(String),
}

/// Whether Hive and Spark treat an entry as hidden: its name starts with `_` or `.`.
pub(crate) fn is_hidden(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

/// Reads a folder name found where partition key `key` is expected.
///
/// The name is split at its first `=` (an `=` inside a key or value is escaped as `%3D`), and
/// key and value are unescaped the Hive way. Keys compare case-insensitively. Under
/// [`PathValidation::Ignore`] a folder whose key differs is still taken as a value of `key`;
/// a name that is not `k=v` at all is invalid in every mode.
pub(crate) fn classify(name: &str, key: &str, validation: PathValidation) -> Folder {
    if is_hidden(name) {
        return Folder::Hidden;
    }
    let Some((raw_key, raw_value)) = name.split_once('=') else {
        return Folder::Invalid(format!("expected a folder named {key}=<value>"));
    };
    if raw_key.is_empty() {
        return Folder::Invalid(format!("the folder has no key, expected {key}"));
    }
    if raw_value.is_empty() {
        return Folder::Invalid(format!("the value of {key} is empty"));
    }
    let found = partname::unescape(raw_key);
    if !found.eq_ignore_ascii_case(key) && validation != PathValidation::Ignore {
        return Folder::Invalid(format!(
            "partition key '{found}' does not match the expected key '{key}'"
        ));
    }
    Folder::Value(partname::unescape(raw_value))
}

/// The partition values of a path relative to the table root (`year=2024/month=01`), one per
/// key; or why the path is not a partition folder of the table.
pub(crate) fn parse_relative(
    rel: &str,
    keys: &[impl AsRef<str>],
    validation: PathValidation,
) -> Result<Vec<String>, String> {
    let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    if segments.len() != keys.len() {
        return Err(format!(
            "the path has {} levels but the table has {} partition keys",
            segments.len(),
            keys.len()
        ));
    }
    segments
        .iter()
        .zip(keys)
        .map(|(seg, key)| match classify(seg, key.as_ref(), validation) {
            Folder::Value(v) => Ok(v),
            Folder::Hidden => Err(format!("'{seg}' is a hidden folder")),
            Folder::Invalid(reason) => Err(reason),
        })
        .collect()
}

/// The location of a folder below a table: `<table location>/<relative path>`, keeping the
/// table location's scheme and spelling.
pub(crate) fn child_location(table_location: &str, rel: &str) -> String {
    format!("{}/{}", table_location.trim_end_matches('/'), rel)
}

/// Spells local `file:` URIs one way (`file:///a`, `file://localhost/a` and `file:/a` all
/// become `file:/a`) so that locations written by different engines compare equal.
pub(crate) fn normalize(location: &str) -> Cow<'_, str> {
    match location.strip_prefix("file:") {
        Some(rest) => {
            let rest = rest.strip_prefix("//localhost").unwrap_or(rest);
            Cow::Owned(format!("file:/{}", rest.trim_start_matches('/')))
        }
        None => Cow::Borrowed(location),
    }
}

/// The location of the object store's root, found by removing `table_root` from the end of
/// the table's (normalized) location; `None` when the location does not end with it.
pub(crate) fn store_base(table_location: &str, table_root: &Path) -> Option<String> {
    let location = normalize(table_location);
    let location = location.trim_end_matches('/');
    let root = table_root.as_ref();
    if root.is_empty() {
        return Some(format!("{location}/"));
    }
    let base = location.strip_suffix(root)?;
    base.ends_with('/').then(|| base.to_string())
}

/// The object-store path of a catalog location, when the location lies under `base` (as
/// returned by [`store_base`]).
pub(crate) fn store_path(location: &str, base: &str) -> Option<Path> {
    let location = normalize(location);
    let rest = location.strip_prefix(base)?;
    Path::parse(rest).ok()
}

/// The folder names of `path` below `root`, or `None` when `path` is not under `root`.
pub(crate) fn relative_to(path: &Path, root: &Path) -> Option<String> {
    let parts: Vec<String> = path
        .prefix_match(root)?
        .map(|p| p.as_ref().to_string())
        .collect();
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathValidation::{Ignore, Skip, Throw};

    #[test]
    fn hidden_entries() {
        for name in ["_SUCCESS", "_temporary", ".hive-staging_1", ".hidden"] {
            assert!(is_hidden(name));
            assert_eq!(classify(name, "year", Throw), Folder::Hidden);
        }
        assert!(!is_hidden("year=_x"));
    }

    #[test]
    fn classifies_key_value_folders() {
        assert_eq!(
            classify("year=2024", "year", Throw),
            Folder::Value("2024".into())
        );
        assert_eq!(
            classify("YEAR=2025", "year", Throw),
            Folder::Value("2025".into())
        );
        assert_eq!(
            classify("city=New%20York", "city", Skip),
            Folder::Value("New York".into())
        );
        assert_eq!(
            classify("d=2024-01-01 10%3A00", "d", Throw),
            Folder::Value("2024-01-01 10:00".into())
        );
        assert_eq!(
            classify("p=a%3Db", "p", Throw),
            Folder::Value("a=b".into()),
            "an escaped '=' belongs to the value"
        );
        assert_eq!(
            classify("year=__HIVE_DEFAULT_PARTITION__", "year", Throw),
            Folder::Value("__HIVE_DEFAULT_PARTITION__".into())
        );
    }

    #[test]
    fn rejects_other_folders_by_mode() {
        for mode in [Throw, Skip, Ignore] {
            assert!(matches!(classify("junk", "year", mode), Folder::Invalid(_)));
            assert!(matches!(classify("=1", "year", mode), Folder::Invalid(_)));
            assert!(matches!(
                classify("year=", "year", mode),
                Folder::Invalid(_)
            ));
        }
        for mode in [Throw, Skip] {
            let Folder::Invalid(reason) = classify("month=01", "year", mode) else {
                panic!("a wrong key is invalid under {mode:?}");
            };
            assert!(reason.contains("month"), "{reason}");
        }
        assert_eq!(
            classify("month=01", "year", Ignore),
            Folder::Value("01".into())
        );
    }

    #[test]
    fn parses_relative_paths() {
        let keys = ["year", "month"];
        assert_eq!(
            parse_relative("year=2024/month=01", &keys, Throw),
            Ok(vec!["2024".to_string(), "01".to_string()])
        );
        assert_eq!(
            parse_relative("/Year=2024/MONTH=a%2Fb/", &keys, Throw),
            Ok(vec!["2024".to_string(), "a/b".to_string()])
        );
        assert!(parse_relative("year=2024", &keys, Throw).is_err());
        assert!(parse_relative("year=2024/month=01/day=02", &keys, Throw).is_err());
        assert!(parse_relative("year=2024/_tmp", &keys, Ignore).is_err());
        assert!(parse_relative("year=2024/m=1", &keys, Skip).is_err());
        assert_eq!(
            parse_relative("year=2024/m=1", &keys, Ignore),
            Ok(vec!["2024".to_string(), "1".to_string()])
        );
        assert!(parse_relative("", &keys, Throw).is_err());
    }

    #[test]
    fn locations() {
        assert_eq!(
            child_location("s3://b/t/", "year=2024/month=01"),
            "s3://b/t/year=2024/month=01"
        );
        assert_eq!(
            child_location("file:///data/t", "k=v"),
            "file:///data/t/k=v"
        );
        assert_eq!(normalize("file:///a/b"), "file:/a/b");
        assert_eq!(normalize("file://localhost/a"), "file:/a");
        assert_eq!(normalize("file:/a"), "file:/a");
        assert_eq!(normalize("s3://b/a"), "s3://b/a");
    }

    #[test]
    fn maps_locations_to_store_paths() {
        let root = Path::from("warehouse/t");
        let base = store_base("s3://bucket/warehouse/t/", &root).unwrap();
        assert_eq!(base, "s3://bucket/");
        assert_eq!(
            store_path("s3://bucket/warehouse/t/k=1", &base),
            Some(Path::from("warehouse/t/k=1"))
        );
        assert_eq!(
            store_path("s3://bucket/elsewhere/k=1", &base),
            Some(Path::from("elsewhere/k=1"))
        );
        assert_eq!(store_path("s3://other/warehouse/t/k=1", &base), None);
        assert_eq!(store_base("s3://bucket/xwarehouse/t", &root), None);
        assert_eq!(store_base("s3://bucket/other", &root), None);

        let base = store_base("file:///tmp/w/t", &Path::from("t")).unwrap();
        assert_eq!(base, "file:/tmp/w/");
        assert_eq!(
            store_path("file:/tmp/w/t/k=1", &base),
            Some(Path::from("t/k=1"))
        );
        let base = store_base("file:/tmp/w/t", &Path::default()).unwrap();
        assert_eq!(
            store_path("file:///tmp/w/t/k=1", &base),
            Some(Path::from("k=1"))
        );
        assert_eq!(
            store_path("file:/tmp/w/t/city=New%20York", &base).map(|p| p.to_string()),
            Some("city=New%20York".to_string()),
            "location names are taken as stored, not decoded"
        );
    }

    #[test]
    fn relative_paths() {
        let root = Path::from("w/t");
        assert_eq!(
            relative_to(&Path::from("w/t/a=1/b=2"), &root).as_deref(),
            Some("a=1/b=2")
        );
        assert_eq!(relative_to(&Path::from("w/t"), &root).as_deref(), Some(""));
        assert_eq!(relative_to(&Path::from("w/tx/a=1"), &root), None);
    }
}
