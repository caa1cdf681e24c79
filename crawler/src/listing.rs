//! Listing a table's folders: the level-by-level walk that finds partition folders, and the
//! existence check for a single folder.

use futures::stream::{self, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::ObjectStore;

use crate::error::{Error, Result};
use crate::msck::PathValidation;
use crate::paths::{classify, Folder};

/// How many listings run at once.
const CONCURRENCY: usize = 32;

/// A partition folder found on storage (or, during the walk, a folder on the way to one).
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// The folder's object-store path.
    pub(crate) path: Path,
    /// Folder names below the table root, as stored (still escaped).
    pub(crate) segments: Vec<String>,
    /// Unescaped values, one per level so far.
    pub(crate) values: Vec<String>,
}

/// What a walk of the table's folders found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Partition folders, sorted by path.
    pub(crate) found: Vec<Found>,
    /// Folders passed over because they are not partition folders, relative to the root.
    pub(crate) invalid: Vec<String>,
}

/// Lists `root` one level per partition key, descending only into folders of the expected
/// key. A folder at the last level is a partition whatever it contains, even nothing.
/// Invalid folders fail the walk under [`PathValidation::Throw`] and are recorded otherwise.
pub(crate) async fn walk(
    store: &dyn ObjectStore,
    root: &Path,
    keys: &[String],
    validation: PathValidation,
) -> Result<Walk> {
    let mut frontier = vec![Found {
        path: root.clone(),
        segments: Vec::new(),
        values: Vec::new(),
    }];
    let mut invalid = Vec::new();
    for (depth, key) in keys.iter().enumerate() {
        let mut listed = list_level(store, frontier).await?;
        listed.sort_by(|a, b| a.0.path.as_ref().cmp(b.0.path.as_ref()));
        let mut next = Vec::new();
        for (parent, children) in listed {
            for child in children {
                let Some(name) = child.filename().map(str::to_string) else {
                    continue;
                };
                match classify(&name, key, validation) {
                    Folder::Hidden => {}
                    Folder::Invalid(reason) => {
                        let path = rel_path(&parent.segments, &name);
                        if validation == PathValidation::Throw {
                            return Err(Error::InvalidPath { path, reason });
                        }
                        tracing::debug!(%path, %reason, "not a partition folder; skipped");
                        invalid.push(path);
                    }
                    Folder::Value(value) => next.push(descend(&parent, child, name, value)),
                }
            }
        }
        tracing::debug!(
            level = depth + 1,
            folders = next.len(),
            "listed partition level"
        );
        frontier = next;
    }
    invalid.sort();
    Ok(Walk {
        found: frontier,
        invalid,
    })
}

fn descend(parent: &Found, path: Path, name: String, value: String) -> Found {
    let mut segments = parent.segments.clone();
    segments.push(name);
    let mut values = parent.values.clone();
    values.push(value);
    Found {
        path,
        segments,
        values,
    }
}

fn rel_path(segments: &[String], name: &str) -> String {
    let mut path = segments.join("/");
    if !path.is_empty() {
        path.push('/');
    }
    path.push_str(name);
    path
}

/// Lists the sub-folders of every folder in `nodes`, a bounded number at a time, sorted by
/// path within each folder.
async fn list_level(store: &dyn ObjectStore, nodes: Vec<Found>) -> Result<Vec<(Found, Vec<Path>)>> {
    stream::iter(nodes)
        .map(|node| async move {
            let folders = sub_folders(store, &node.path).await?;
            Ok::<_, Error>((node, folders))
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await
}

/// The sub-folders of `path`, sorted; none when `path` does not exist.
async fn sub_folders(store: &dyn ObjectStore, path: &Path) -> Result<Vec<Path>> {
    match store.list_with_delimiter(Some(path)).await {
        Ok(listed) => {
            let mut folders = listed.common_prefixes;
            folders.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            Ok(folders)
        }
        Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Whether a folder exists. A folder with contents shows in its own listing; an empty one
/// (a local directory, or an S3 `folder/` marker) only in its parent's.
pub(crate) async fn folder_exists(store: &dyn ObjectStore, path: &Path) -> Result<bool> {
    let listed = match store.list_with_delimiter(Some(path)).await {
        Ok(listed) => listed,
        Err(object_store::Error::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    if !listed.objects.is_empty() || !listed.common_prefixes.is_empty() {
        return Ok(true);
    }
    let mut parts: Vec<_> = path.parts().collect();
    if parts.pop().is_none() {
        // The store's root always exists.
        return Ok(true);
    }
    let parent: Path = parts.into_iter().collect();
    let siblings = sub_folders(store, &parent).await?;
    Ok(siblings.iter().any(|s| s.as_ref() == path.as_ref()))
}

/// [`folder_exists`] for many folders, a bounded number at a time, in the order given.
pub(crate) async fn folders_exist(store: &dyn ObjectStore, paths: &[Path]) -> Result<Vec<bool>> {
    stream::iter(paths.iter().cloned())
        .map(|path| async move { folder_exists(store, &path).await })
        .buffered(CONCURRENCY)
        .try_collect()
        .await
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutPayload};

    use super::*;

    async fn put(store: &InMemory, path: &str) {
        store
            .put(&Path::from(path), PutPayload::from_static(b"x"))
            .await
            .unwrap();
    }

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn walks_partition_levels() {
        let store = InMemory::new();
        for p in [
            "t/year=2024/month=01/a.parquet",
            "t/year=2024/month=02/b.parquet",
            "t/year=2024/_SUCCESS",
            "t/Year=2025/month=12/c",
            "t/year=2023/extra/x",
            "t/year=2023/month=05/deeper/d",
            "t/.staging/month=01/x",
            "t/junk/x",
            "t/top-level-file",
        ] {
            put(&store, p).await;
        }
        let root = Path::from("t");
        let walk = walk(
            &store,
            &root,
            &keys(&["year", "month"]),
            PathValidation::Skip,
        )
        .await
        .unwrap();
        let found: Vec<_> = walk.found.iter().map(|f| f.path.to_string()).collect();
        assert_eq!(
            found,
            [
                "t/Year=2025/month=12",
                "t/year=2023/month=05",
                "t/year=2024/month=01",
                "t/year=2024/month=02"
            ]
        );
        assert_eq!(walk.found[0].values, ["2025", "12"]);
        assert_eq!(walk.found[0].segments, ["Year=2025", "month=12"]);
        assert_eq!(walk.invalid, ["junk", "year=2023/extra"]);

        let err = walk_err(&store, &root).await;
        assert!(
            matches!(&err, Error::InvalidPath { path, .. } if path == "junk"),
            "{err}"
        );
    }

    async fn walk_err(store: &InMemory, root: &Path) -> Error {
        walk(
            store,
            root,
            &keys(&["year", "month"]),
            PathValidation::Throw,
        )
        .await
        .unwrap_err()
    }

    #[tokio::test]
    async fn missing_root_is_empty() {
        let store = InMemory::new();
        let walk = walk(
            &store,
            &Path::from("nope"),
            &keys(&["k"]),
            PathValidation::Throw,
        )
        .await
        .unwrap();
        assert!(walk.found.is_empty() && walk.invalid.is_empty());
    }

    #[tokio::test]
    async fn checks_folder_existence() {
        let store = InMemory::new();
        put(&store, "t/k=1/f").await;
        let paths = [Path::from("t/k=1"), Path::from("t/k=2"), Path::default()];
        assert_eq!(
            folders_exist(&store, &paths).await.unwrap(),
            [true, false, true]
        );
    }
}
