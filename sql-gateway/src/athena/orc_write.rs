//! Writing ORC files for CTAS and INSERT. datafusion-orc only reads, so this is a DataFusion
//! file format whose writer is ours (`orc_encode`): DataFusion still splits the rows into
//! `k=v` partition folders and names the files; each file's batches are encoded on a blocking
//! thread and its stripes are uploaded as they are finished (`write_file`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::runtime::SpawnedTask;
use datafusion::common::{GetExt, Statistics};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::{FileFormat, FileFormatFactory};
use datafusion::datasource::physical_plan::{FileScanConfig, FileSinkConfig, FileSource};
use datafusion::datasource::sink::{DataSink, DataSinkExec};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::LexRequirement;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream,
};
use datafusion_datasource::file_sink_config::FileSink;
use datafusion_datasource::write::demux::DemuxedStreamReceiver;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::orc_encode::{Codec, OrcEncoder};

/// Batches of one file on their way to its encoder.
const ENCODER_QUEUE: usize = 2;

/// The codec named by Athena's `write_compression` for ORC (`None`: no compression).
pub(crate) fn codec(name: &str) -> Option<Option<Codec>> {
    Some(match name {
        "zlib" | "gzip" => Some(Codec::Zlib),
        "snappy" => Some(Codec::Snappy),
        "lz4" => Some(Codec::Lz4),
        "zstd" => Some(Codec::Zstd),
        "none" | "uncompressed" => None,
        _ => return None,
    })
}

/// The file format given to DataFusion's COPY plan: reading is datafusion-orc's, writing ours.
#[derive(Debug)]
pub(crate) struct OrcWriteFormat {
    read: datafusion_orc::OrcFormat,
    compression: Option<Codec>,
}

impl OrcWriteFormat {
    pub(crate) fn new(compression: Option<Codec>) -> Self {
        OrcWriteFormat {
            read: datafusion_orc::OrcFormat,
            compression,
        }
    }
}

impl GetExt for OrcWriteFormat {
    fn get_ext(&self) -> String {
        "orc".into()
    }
}

impl FileFormatFactory for OrcWriteFormat {
    fn create(
        &self,
        _state: &dyn Session,
        _format_options: &HashMap<String, String>,
    ) -> DfResult<Arc<dyn FileFormat>> {
        Ok(Arc::new(OrcWriteFormat::new(self.compression)))
    }

    fn default(&self) -> Arc<dyn FileFormat> {
        Arc::new(OrcWriteFormat::new(self.compression))
    }
}

#[async_trait]
impl FileFormat for OrcWriteFormat {
    fn get_ext(&self) -> String {
        "orc".into()
    }

    fn get_ext_with_compression(&self, _c: &FileCompressionType) -> DfResult<String> {
        Ok("orc".into())
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        None
    }

    async fn infer_schema(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        objects: &[ObjectMeta],
    ) -> DfResult<SchemaRef> {
        self.read.infer_schema(state, store, objects).await
    }

    async fn infer_stats(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> DfResult<Statistics> {
        self.read
            .infer_stats(state, store, table_schema, object)
            .await
    }

    async fn create_physical_plan(
        &self,
        state: &dyn Session,
        conf: FileScanConfig,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.read.create_physical_plan(state, conf).await
    }

    async fn create_writer_physical_plan(
        &self,
        input: Arc<dyn ExecutionPlan>,
        _state: &dyn Session,
        conf: FileSinkConfig,
        order_requirements: Option<LexRequirement>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let sink = Arc::new(OrcSink {
            config: conf,
            compression: self.compression,
        });
        Ok(Arc::new(DataSinkExec::new(input, sink, order_requirements)))
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        self.read.file_source(table_schema)
    }
}

/// Writes each file DataFusion's partitioning asks for as one ORC file.
#[derive(Debug)]
struct OrcSink {
    config: FileSinkConfig,
    compression: Option<Codec>,
}

impl DisplayAs for OrcSink {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "OrcSink(file_groups=[])")
    }
}

#[async_trait]
impl DataSink for OrcSink {
    fn schema(&self) -> &SchemaRef {
        self.config.output_schema()
    }

    async fn write_all(
        &self,
        data: SendableRecordBatchStream,
        context: &Arc<TaskContext>,
    ) -> DfResult<u64> {
        FileSink::write_all(self, data, context).await
    }
}

#[async_trait]
impl FileSink for OrcSink {
    fn config(&self) -> &FileSinkConfig {
        &self.config
    }

    async fn spawn_writer_tasks_and_join(
        &self,
        _context: &Arc<TaskContext>,
        demux_task: SpawnedTask<DfResult<()>>,
        mut files: DemuxedStreamReceiver,
        store: Arc<dyn ObjectStore>,
    ) -> DfResult<u64> {
        let mut writers = tokio::task::JoinSet::new();
        while let Some((path, batches)) = files.recv().await {
            let store = Arc::clone(&store);
            let compression = self.compression;
            writers.spawn(write_file(Arc::clone(&store), path, batches, compression));
        }
        let mut rows = 0;
        while let Some(done) = writers.join_next().await {
            rows += done.map_err(|e| DataFusionError::Execution(format!("ORC writer: {e}")))??;
        }
        demux_task
            .join_unwind()
            .await
            .map_err(|e| DataFusionError::Execution(format!("partitioning rows: {e}")))??;
        Ok(rows)
    }
}

/// Writes one file of `batches`, its stripes uploading while the next are encoded (on a
/// blocking thread), and returns its row count. No rows: no file. The upload is a multipart
/// one that only completes, and so only makes the file appear, when the file is whole.
async fn write_file(
    store: Arc<dyn ObjectStore>,
    path: Path,
    mut batches: mpsc::Receiver<RecordBatch>,
    codec: Option<Codec>,
) -> DfResult<u64> {
    let (to_encoder, rx) = mpsc::channel(ENCODER_QUEUE);
    let (tx, mut from_encoder) = mpsc::channel::<Vec<u8>>(ENCODER_QUEUE);
    let encoder = tokio::task::spawn_blocking(move || encode(rx, codec, tx));
    let feed = async move {
        while let Some(batch) = batches.recv().await {
            if to_encoder.send(batch).await.is_err() {
                break; // the encoder stopped; its error is below
            }
        }
    };
    let upload = async move {
        let mut file: Option<BufWriter> = None;
        while let Some(bytes) = from_encoder.recv().await {
            let out = file.get_or_insert_with(|| BufWriter::new(Arc::clone(&store), path.clone()));
            if let Err(e) = out.write_all(&bytes).await {
                // the encoder's next send fails, which stops it and then the feed
                drop(from_encoder);
                return (file, Err(DataFusionError::from(e)));
            }
        }
        (file, Ok(()))
    };
    let ((), (file, uploaded)) = tokio::join!(feed, upload);
    let encoded = encoder.await.unwrap_or_else(|e| {
        Err(DataFusionError::Execution(format!(
            "ORC encoder stopped: {e}"
        )))
    });
    // a failed upload is what stopped the encoder, so its error comes first
    match (file, uploaded.and(encoded)) {
        (Some(mut file), Ok(rows)) => {
            file.shutdown().await?;
            Ok(rows)
        }
        (None, Ok(rows)) => Ok(rows),
        (Some(mut file), Err(e)) => {
            let _ = file.abort().await; // the error that stopped the file is the one to report
            Err(e)
        }
        (None, Err(e)) => Err(e),
    }
}

/// Encodes the batches arriving on `rx` (all of one schema) into one ORC file whose bytes go
/// to `out` as stripes are finished; returns the row count (no rows: nothing is sent).
fn encode(
    mut rx: mpsc::Receiver<RecordBatch>,
    codec: Option<Codec>,
    out: mpsc::Sender<Vec<u8>>,
) -> DfResult<u64> {
    let send = |bytes: Vec<u8>| {
        if bytes.is_empty() {
            return Ok(());
        }
        out.blocking_send(bytes)
            .map_err(|_| DataFusionError::Execution("the ORC file's upload stopped".into()))
    };
    let Some(first) = rx.blocking_recv() else {
        return Ok(0);
    };
    let mut rows = first.num_rows() as u64;
    let mut encoder = OrcEncoder::new(first.schema(), codec)?;
    encoder.write(&first)?;
    while let Some(batch) = rx.blocking_recv() {
        send(encoder.take_written())?;
        rows += batch.num_rows() as u64;
        encoder.write(&batch)?;
    }
    if rows > 0 {
        send(encoder.take_written())?;
        send(encoder.finish()?)?;
    }
    Ok(rows)
}
