//! An ORC file writer for Arrow record batches, for CTAS and INSERT into ORC tables.
//!
//! orc-rust (which reads ORC here) writes no decimals or nested values, and its encoders are
//! private, so this writer is our own. It writes what every ORC reader since Hive 0.12 reads:
//! the version 1 run-length encodings (`DIRECT` for every column, `rle`), no row index, and
//! per-stripe and per-file value counts as statistics. File layout:
//!
//! ```text
//! "ORC" | stripe* | metadata (stripe statistics) | footer | postscript | postscript length
//! stripe = data streams | stripe footer (stream list, column encodings, writer time zone)
//! ```
//!
//! Metadata, footers and streams are compressed in blocks (`compress`); the postscript never
//! is. Stripes are cut at `STRIPE_BYTES` of gathered values.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use orc_rust::proto;
use prost::Message;

mod column;
mod compress;
mod rle;

use column::{Column, Stripe};
pub(crate) use compress::Codec;

/// Gathered bytes at which a stripe is written.
const STRIPE_BYTES: usize = 64 * 1024 * 1024;

/// The writer id and version in the footer and postscript: orc-rust's, which Java ORC
/// (Spark, Hive) takes for a writer newer than any bug it works around.
const WRITER: u32 = u32::MAX;

/// What stops a file from being written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OrcError {
    #[error("ORC files here cannot hold values of type {0}")]
    Unsupported(DataType),
    #[error("a batch of columns {found} does not match the file's columns {expected}")]
    Schema { expected: String, found: String },
    #[error("timestamp {0} ({1:?} since 1970) cannot be stored in ORC (outside its range, or in the last second before 1970, which readers misread)")]
    Timestamp(i64, TimeUnit),
    #[error("compressing ORC data: {0}")]
    Compress(String),
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

impl From<OrcError> for DataFusionError {
    fn from(e: OrcError) -> Self {
        match e {
            OrcError::Arrow(e) => DataFusionError::ArrowError(Box::new(e), None),
            e @ OrcError::Unsupported(_) => DataFusionError::NotImplemented(e.to_string()),
            e => DataFusionError::Execution(e.to_string()),
        }
    }
}

pub(crate) type Result<T, E = OrcError> = std::result::Result<T, E>;

/// One ORC file being written in memory.
pub(crate) struct OrcEncoder {
    schema: SchemaRef,
    codec: Option<Codec>,
    root: Column,
    types: Vec<proto::Type>,
    /// The file's bytes not yet taken by `take_written`.
    out: Vec<u8>,
    /// Bytes taken by `take_written` so far.
    taken: u64,
    stripes: Vec<proto::StripeInformation>,
    stripe_stats: Vec<proto::StripeStatistics>,
    stripe_rows: u64,
    /// `STRIPE_BYTES`, smaller in tests.
    stripe_bytes: usize,
}

impl OrcEncoder {
    /// A file of `schema`'s columns compressed with `codec`.
    pub(crate) fn new(schema: SchemaRef, codec: Option<Codec>) -> Result<Self> {
        let mut types = Vec::new();
        let root = Column::new(&DataType::Struct(schema.fields().clone()), &mut types)?;
        Ok(OrcEncoder {
            schema,
            codec,
            root,
            types,
            out: b"ORC".to_vec(),
            taken: 0,
            stripes: Vec::new(),
            stripe_stats: Vec::new(),
            stripe_rows: 0,
            stripe_bytes: STRIPE_BYTES,
        })
    }

    /// Adds the rows of `batch`, which has the file's columns.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let same = |a: &SchemaRef, b: &SchemaRef| {
            a.fields().len() == b.fields().len()
                && a.fields()
                    .iter()
                    .zip(b.fields())
                    .all(|(x, y)| x.data_type() == y.data_type())
        };
        if !same(&self.schema, &batch.schema()) {
            return Err(OrcError::Schema {
                expected: self.schema.to_string(),
                found: batch.schema().to_string(),
            });
        }
        self.root
            .append(&datafusion::arrow::array::StructArray::from(batch.clone()))?;
        self.stripe_rows += batch.num_rows() as u64;
        if self.root.buffered() >= self.stripe_bytes {
            self.flush_stripe()?;
        }
        Ok(())
    }

    fn flush_stripe(&mut self) -> Result<()> {
        if self.stripe_rows == 0 {
            return Ok(());
        }
        let mut stripe = Stripe::new(self.codec);
        self.root.flush(&mut stripe)?;
        let footer = proto::StripeFooter {
            streams: stripe.streams,
            columns: stripe.encodings,
            writer_timezone: Some("UTC".into()),
            encryption: Vec::new(),
        };
        let offset = self.position();
        self.out.extend_from_slice(&stripe.data);
        let footer_start = self.out.len();
        compress::append(self.codec, &footer.encode_to_vec(), &mut self.out)?;
        self.stripes.push(proto::StripeInformation {
            offset: Some(offset),
            index_length: Some(0),
            data_length: Some(stripe.data.len() as u64),
            footer_length: Some((self.out.len() - footer_start) as u64),
            number_of_rows: Some(std::mem::take(&mut self.stripe_rows)),
            ..Default::default()
        });
        self.stripe_stats.push(proto::StripeStatistics {
            col_stats: stripe.stats,
        });
        Ok(())
    }

    /// The offset in the file of the next byte written.
    fn position(&self) -> u64 {
        self.taken + self.out.len() as u64
    }

    /// The bytes of the file's finished stripes not taken yet (none before the first stripe),
    /// so that a file can be stored while it is written.
    pub(crate) fn take_written(&mut self) -> Vec<u8> {
        if self.stripes.is_empty() {
            return Vec::new();
        }
        self.taken += self.out.len() as u64;
        std::mem::take(&mut self.out)
    }

    /// The rest of the file (all of it when nothing was taken).
    pub(crate) fn finish(mut self) -> Result<Vec<u8>> {
        self.flush_stripe()?;
        let content_length = self.position();
        let statistics = self.file_statistics();
        let metadata = proto::Metadata {
            stripe_stats: std::mem::take(&mut self.stripe_stats),
        };
        let start = self.out.len();
        compress::append(self.codec, &metadata.encode_to_vec(), &mut self.out)?;
        let metadata_length = (self.out.len() - start) as u64;
        let footer = proto::Footer {
            header_length: Some(3),
            content_length: Some(content_length),
            number_of_rows: Some(self.stripes.iter().filter_map(|s| s.number_of_rows).sum()),
            stripes: std::mem::take(&mut self.stripes),
            types: std::mem::take(&mut self.types),
            statistics,
            writer: Some(WRITER),
            software_version: Some(format!("lakehive {}", env!("CARGO_PKG_VERSION"))),
            ..Default::default()
        };
        let start = self.out.len();
        compress::append(self.codec, &footer.encode_to_vec(), &mut self.out)?;
        let postscript = proto::PostScript {
            footer_length: Some((self.out.len() - start) as u64),
            compression: Some(compress::kind(self.codec).into()),
            compression_block_size: self.codec.map(|_| compress::BLOCK as u64),
            version: vec![0, 12],
            metadata_length: Some(metadata_length),
            writer_version: Some(WRITER),
            magic: Some("ORC".into()),
            ..Default::default()
        }
        .encode_to_vec();
        self.out.extend_from_slice(&postscript);
        // a postscript is a few dozen bytes
        self.out.push(postscript.len() as u8);
        Ok(self.out)
    }

    /// Each column's counts summed over the stripes.
    fn file_statistics(&self) -> Vec<proto::ColumnStatistics> {
        (0..self.types.len())
            .map(|column| {
                let of_column = self
                    .stripe_stats
                    .iter()
                    .filter_map(|s| s.col_stats.get(column));
                let (values, has_null) = of_column.fold((0, false), |(n, h), c| {
                    (n + c.number_of_values(), h || c.has_null())
                });
                proto::ColumnStatistics {
                    number_of_values: Some(values),
                    has_null: Some(has_null),
                    ..Default::default()
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
