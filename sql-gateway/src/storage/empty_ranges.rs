//! `EmptyRanges`: an object store that answers a read of zero bytes with zero bytes. The
//! stores refuse an empty range as invalid, and the ORC reader asks for one whenever a
//! column has a zero-length stream: an all-NULL column, as Spark writes for a row of NULLs,
//! made the whole query fail with "Requested range was invalid".

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// Wraps a store; every call but an empty read goes to it unchanged.
#[derive(Debug)]
pub(crate) struct EmptyRanges(pub(crate) Arc<dyn ObjectStore>);

impl fmt::Display for EmptyRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[async_trait]
impl ObjectStore for EmptyRanges {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.0.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.0.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let Some(GetRange::Bounded(range)) = options.range.clone().filter(is_empty) else {
            return self.0.get_opts(location, options).await;
        };
        let head = GetOptions {
            range: None,
            head: true,
            ..options
        };
        let found = self.0.get_opts(location, head).await?;
        Ok(GetResult {
            payload: GetResultPayload::Stream(futures::stream::empty().boxed()),
            meta: found.meta,
            range,
            attributes: found.attributes,
        })
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let wanted: Vec<Range<u64>> = ranges.iter().filter(|r| !r.is_empty()).cloned().collect();
        if wanted.len() == ranges.len() {
            return self.0.get_ranges(location, ranges).await;
        }
        let mut read = self.0.get_ranges(location, &wanted).await?.into_iter();
        Ok(ranges
            .iter()
            .map(|r| match r.is_empty() {
                true => Bytes::new(),
                false => read.next().unwrap_or_default(),
            })
            .collect())
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.0.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.0.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.0.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.0.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.0.copy_opts(from, to, options).await
    }
}

fn is_empty(range: &GetRange) -> bool {
    matches!(range, GetRange::Bounded(r) if r.is_empty())
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;
    use object_store::ObjectStoreExt;

    use super::*;

    #[tokio::test]
    async fn an_empty_read_is_empty_and_the_rest_unchanged() {
        let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let path = Path::from("f");
        inner.put(&path, Bytes::from("hello").into()).await.unwrap();
        assert!(inner.get_range(&path, 5..5).await.is_err());
        let store = EmptyRanges(inner);
        assert_eq!(store.get_range(&path, 5..5).await.unwrap(), Bytes::new());
        assert_eq!(
            store.get_range(&path, 1..3).await.unwrap(),
            Bytes::from("el")
        );
        let parts = store.get_ranges(&path, &[0..1, 2..2, 4..5]).await.unwrap();
        assert_eq!(parts, [Bytes::from("h"), Bytes::new(), Bytes::from("o")]);
        assert!(store.get_range(&path, 9..12).await.is_err());
    }
}
