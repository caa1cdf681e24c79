//! Where data lives: catalog locations (`/p`, `file:/p`, `file:///p`, `s3://b/p`, `s3a://b/p`)
//! turned into an object-store URL plus a path, and a store registry that opens S3 buckets on
//! first use from the standard `AWS_*` environment (endpoint, region, keys, `AWS_ALLOW_HTTP`).

use std::sync::Arc;

use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::ObjectStore;
use url::Url;

use crate::error::{Error, Result};

mod empty_ranges;

use empty_ranges::EmptyRanges;

/// A catalog location resolved for object-store access.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// The store (`file:///` or `s3://bucket`).
    pub store: ObjectStoreUrl,
    /// The folder inside the store, without a trailing slash.
    pub path: Path,
}

impl Location {
    /// Parses a location string as Hive, Spark and Glue write them.
    pub fn parse(location: &str) -> Result<Location> {
        let location = location.trim();
        if location.is_empty() {
            return Err(Error::InvalidInput("the table has no location".into()));
        }
        if let Some(rest) = location.strip_prefix("file:") {
            let path = rest.trim_start_matches('/');
            return Ok(Location {
                store: ObjectStoreUrl::local_filesystem(),
                path: Path::from_iter(path.split('/').filter(|s| !s.is_empty())),
            });
        }
        if location.starts_with('/') {
            return Ok(Location {
                store: ObjectStoreUrl::local_filesystem(),
                path: Path::from_iter(location.split('/').filter(|s| !s.is_empty())),
            });
        }
        let url = Url::parse(location)
            .map_err(|e| Error::InvalidInput(format!("bad location {location:?}: {e}")))?;
        match url.scheme() {
            "s3" | "s3a" | "s3n" => {
                let bucket = url.host_str().ok_or_else(|| {
                    Error::InvalidInput(format!("location {location:?} names no bucket"))
                })?;
                let store = ObjectStoreUrl::parse(format!("s3://{bucket}"))?;
                let key = url.path().trim_matches('/');
                let path = Path::from_iter(key.split('/').filter(|s| !s.is_empty()));
                Ok(Location { store, path })
            }
            other => Err(Error::Unsupported(format!(
                "locations with scheme {other}:// ({location})"
            ))),
        }
    }

    /// The location as a URL string with a trailing slash, for DataFusion writers.
    pub fn dir_url(&self) -> String {
        let base = self.store.as_str();
        let base = base.strip_suffix('/').unwrap_or(base);
        if self.path.as_ref().is_empty() {
            format!("{base}/")
        } else {
            format!("{base}/{}/", self.path)
        }
    }

    /// A sub-folder.
    pub fn child(&self, part: &str) -> Location {
        let mut path = self.path.clone();
        for seg in part.split('/').filter(|s| !s.is_empty()) {
            path = path.clone().join(seg);
        }
        Location {
            store: self.store.clone(),
            path,
        }
    }
}

/// Object stores by URL: the local file system and any registered store, plus S3 buckets
/// opened on first use.
#[derive(Debug, Default)]
pub struct StoreRegistry {
    inner: DefaultObjectStoreRegistry,
}

impl StoreRegistry {
    /// A registry with the local file system.
    pub fn new() -> Self {
        Self::default()
    }

    fn open_s3(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()?;
        Ok(Arc::new(store))
    }
}

impl ObjectStoreRegistry for StoreRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.store(url)
            .map(|store| Arc::new(EmptyRanges(store)) as Arc<dyn ObjectStore>)
    }
}

impl StoreRegistry {
    fn store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.inner.get_store(url) {
            return Ok(store);
        }
        match (url.scheme(), url.host_str()) {
            ("s3" | "s3a", Some(bucket)) => {
                let store = Self::open_s3(bucket)?;
                let key = Url::parse(&format!("s3://{bucket}"))
                    .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
                self.inner.register_store(&key, Arc::clone(&store));
                Ok(store)
            }
            _ => self.inner.get_store(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_location_forms_catalogs_hold() {
        for loc in ["/data/t", "file:/data/t", "file:///data/t/"] {
            let l = Location::parse(loc).unwrap();
            assert_eq!(l.store, ObjectStoreUrl::local_filesystem(), "{loc}");
            assert_eq!(l.path.as_ref(), "data/t", "{loc}");
            assert_eq!(l.dir_url(), "file:///data/t/");
        }
        let s3 = Location::parse("s3a://bucket/a/b/").unwrap();
        assert_eq!(s3.store.as_str(), "s3://bucket/");
        assert_eq!(s3.path.as_ref(), "a/b");
        assert_eq!(s3.child("k=v").dir_url(), "s3://bucket/a/b/k=v/");
        assert!(matches!(
            Location::parse("hdfs://nn/x"),
            Err(Error::Unsupported(_))
        ));
        assert!(Location::parse("").is_err());
    }
}
