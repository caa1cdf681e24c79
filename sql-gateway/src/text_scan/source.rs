//! `HiveTextSource`: delimited text read with Hive's rule for NULL. DataFusion 55's CSV source
//! never gives arrow-csv a NULL pattern, so arrow-csv's default applies and every empty field
//! is NULL. Hive reads an empty field of a string column as the empty string; only the
//! table's NULL marker is NULL (LazySimpleSerDe), or nothing is (OpenCSVSerde). This source
//! reads like DataFusion's (byte ranges aligned to line ends, whole-file decompression,
//! projection to the wanted columns) with arrow-csv told what NULL looks like.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::csv::ReaderBuilder;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::file_format::csv::CsvDecoder;
use datafusion::datasource::physical_plan::{
    FileOpenFuture, FileOpener, FileScanConfig, FileSource,
};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::DisplayFormatType;
use datafusion_datasource::boundary_stream::AlignedBoundaryStream;
use datafusion_datasource::decoder::{deserialize_stream, DecoderDeserializer};
use datafusion_datasource::file_compression_type::FileCompressionType;
use datafusion_datasource::projection::{ProjectionOpener, SplitProjection};
use datafusion_datasource::PartitionedFile;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, ObjectStore};
use regex::Regex;

use super::cut::FieldCutter;
use crate::format::TextOptions;

/// The pattern arrow-csv tests each field against: the whole field equal to the table's NULL
/// marker, or (no marker) a pattern nothing matches, since arrow-csv's own default is "empty".
fn null_pattern(null: Option<&str>) -> DfResult<Regex> {
    let pattern = match null {
        Some(marker) => format!(r"\A{}\z", regex::escape(marker)),
        None => r"x\A".to_string(),
    };
    Regex::new(&pattern).map_err(|e| DataFusionError::External(Box::new(e)))
}

/// A [`FileSource`] for Hive delimited text; its file schema is all text (`as_text`).
#[derive(Debug, Clone)]
pub(crate) struct HiveTextSource {
    text: TextOptions,
    /// `null_pattern` of `text`, compiled once for every file the scan opens.
    null: Regex,
    table_schema: TableSchema,
    projection: SplitProjection,
    batch_size: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
}

impl HiveTextSource {
    pub(crate) fn new(text: TextOptions, table_schema: TableSchema) -> DfResult<Self> {
        Ok(HiveTextSource {
            null: null_pattern(text.null.as_deref())?,
            text,
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            batch_size: None,
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    /// An arrow-csv reader for the projected file columns; `header` is false for a byte range
    /// that does not start the file.
    fn builder(&self, header: bool) -> DfResult<ReaderBuilder> {
        let batch_size = self
            .batch_size
            .ok_or_else(|| DataFusionError::Internal("text scan without a batch size".into()))?;
        let l = &self.text;
        let mut builder = ReaderBuilder::new(Arc::clone(self.table_schema.file_schema()))
            .with_delimiter(l.delimiter)
            .with_quote(l.quote.unwrap_or(0))
            .with_header(header)
            .with_batch_size(batch_size)
            .with_null_regex(self.null.clone())
            // A line with fewer fields than columns (written before `ADD COLUMNS`) reads
            // NULL for the rest, as Hive's text SerDes read it.
            .with_truncated_rows(true)
            .with_projection(self.projection.file_indices.clone());
        if let Some(escape) = l.escape {
            builder = builder.with_escape(escape);
        }
        Ok(builder)
    }
}

impl FileSource for HiveTextSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        base_config: &FileScanConfig,
        _partition: usize,
    ) -> DfResult<Arc<dyn FileOpener>> {
        let opener = Arc::new(TextOpener {
            source: Arc::new(self.clone()),
            compression: base_config.file_compression_type,
            store: object_store,
        });
        ProjectionOpener::try_new(
            self.projection.clone(),
            opener,
            self.table_schema.file_schema(),
        )
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        let mut source = self.clone();
        source.batch_size = Some(batch_size);
        Arc::new(source)
    }

    fn try_pushdown_projection(
        &self,
        projection: &ProjectionExprs,
    ) -> DfResult<Option<Arc<dyn FileSource>>> {
        let mut source = self.clone();
        let merged = self.projection.source.try_merge(projection)?;
        source.projection = SplitProjection::new(self.table_schema.file_schema(), &merged);
        Ok(Some(Arc::new(source)))
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        Some(&self.projection.source)
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "hive_text"
    }

    fn fmt_extra(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        match t {
            DisplayFormatType::TreeRender => Ok(()),
            _ => write!(f, ", has_header={}", self.text.header),
        }
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        datafusion::physical_plan::apply_expression_roots(self.projection.source.iter(), f)
    }
}

/// Opens one file, or one byte range of an uncompressed file (whole lines: a range starts
/// after the first line end at or past its start and ends with the line holding its last
/// byte, as DataFusion's CSV reading does).
struct TextOpener {
    source: Arc<HiveTextSource>,
    compression: FileCompressionType,
    store: Arc<dyn ObjectStore>,
}

impl FileOpener for TextOpener {
    fn open(&self, file: PartitionedFile) -> DfResult<FileOpenFuture> {
        let starts_file = file.range.as_ref().is_none_or(|r| r.start == 0);
        let decoder = self
            .source
            .builder(self.source.text.header && starts_file)?
            .build_decoder();
        let compression = self.compression;
        let store = Arc::clone(&self.store);
        let columns = self.source.table_schema.file_schema().fields().len();
        let text = &self.source.text;
        let cutter = (columns > 0)
            .then(|| FieldCutter::new(columns, text.delimiter, text.quote, text.escape));
        Ok(Box::pin(async move {
            let location = file.object_meta.location;
            let bytes = match file.range {
                Some(range) => {
                    let bound = |v: i64| {
                        u64::try_from(v).map_err(|_| {
                            DataFusionError::Internal(format!("negative file range {v}"))
                        })
                    };
                    AlignedBoundaryStream::new(
                        store,
                        location,
                        bound(range.start)?,
                        bound(range.end)?,
                        file.object_meta.size,
                        b'\n',
                    )
                    .await?
                    .map_err(DataFusionError::from)
                    .boxed()
                }
                None => store
                    .get_opts(&location, GetOptions::default())
                    .await?
                    .into_stream()
                    .map_err(DataFusionError::from)
                    .boxed(),
            };
            let input = compression.convert_stream(bytes)?;
            let input = match cutter {
                Some(mut cutter) => input.map_ok(move |b| cutter.cut(b)).boxed(),
                None => input,
            }
            .fuse();
            let batches =
                deserialize_stream(input, DecoderDeserializer::new(CsvDecoder::new(decoder)));
            Ok(batches.map_err(DataFusionError::from).boxed())
        }))
    }
}
