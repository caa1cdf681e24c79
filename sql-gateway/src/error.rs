//! The gateway's error type and its one mapping to PostgreSQL SQLSTATE codes.

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError};

/// What can go wrong while serving a statement.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The catalog refused or failed.
    #[error("{0}")]
    Catalog(#[from] metastore::Error),
    /// Planning or execution failed (shown as the root error, after the views it came
    /// through: see `strip_context`).
    #[error("{}", strip_context(.0))]
    DataFusion(#[from] DataFusionError),
    /// Partition repair failed.
    #[error("{0}")]
    Crawler(#[from] crawler::Error),
    /// Storage could not be reached or read.
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
    /// The statement does not parse.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// The statement is valid but not supported here.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The user may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A named schema (catalog database) does not exist.
    #[error("schema \"{0}\" does not exist")]
    NoSuchSchema(String),
    /// A statement names a column twice.
    #[error("{0}")]
    DuplicateColumn(String),
    /// A statement names a column the table does not have.
    #[error("{0}")]
    UndefinedColumn(String),
    /// A column's type cannot change to the one asked for.
    #[error("{0}")]
    DatatypeMismatch(String),
    /// A statement for one kind of object names another (`DROP VIEW` of a table).
    #[error("{0}")]
    WrongObjectType(String),
    /// A value or definition is invalid.
    #[error("{0}")]
    InvalidInput(String),
    /// Local I/O failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Result with the gateway's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<datafusion::sql::sqlparser::tokenizer::TokenizerError> for Error {
    fn from(e: datafusion::sql::sqlparser::tokenizer::TokenizerError) -> Self {
        Error::Syntax(e.to_string())
    }
}

impl From<ParserError> for Error {
    fn from(e: ParserError) -> Self {
        Error::Syntax(e.to_string())
    }
}

impl From<Error> for DataFusionError {
    fn from(e: Error) -> Self {
        match e {
            Error::DataFusion(e) => e,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}

impl Error {
    /// The SQLSTATE a PostgreSQL client sees for this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::Catalog(e) => catalog_state(e),
            Error::DataFusion(e) => datafusion_state(e),
            Error::Crawler(crawler::Error::Catalog(e)) => catalog_state(e),
            Error::Crawler(_) => "22023",
            Error::Storage(object_store::Error::NotFound { .. }) => "58P01",
            Error::Storage(_) => "58030",
            Error::Syntax(_) => "42601",
            Error::Unsupported(_) => "0A000",
            Error::PermissionDenied(_) => "42501",
            Error::NoSuchSchema(_) => "3F000",
            Error::UndefinedColumn(_) => "42703",
            Error::WrongObjectType(_) => "42809",
            Error::DatatypeMismatch(_) => "42804",
            Error::DuplicateColumn(_) => "42701",
            Error::InvalidInput(_) => "22023",
            Error::Io(_) => "58030",
        }
    }

    /// The error as a pgwire `ERROR` that keeps the session open.
    pub fn to_wire(&self) -> PgWireError {
        PgWireError::UserError(Box::new(ErrorInfo::new(
            "ERROR".to_owned(),
            self.sqlstate().to_owned(),
            self.to_string(),
        )))
    }
}

fn catalog_state(e: &metastore::Error) -> &'static str {
    use metastore::Error as M;
    match e {
        M::NotFound(msg) if msg.to_lowercase().contains("database") => "3F000",
        M::NotFound(_) => "42P01",
        M::AlreadyExists(msg) if msg.to_lowercase().contains("database") => "42P06",
        M::AlreadyExists(_) => "42P07",
        M::InvalidObject(_) | M::InvalidInput(_) => "22023",
        M::InvalidOperation(_) => "55000",
        M::Conflict(_) => "40001",
        _ => "XX000",
    }
}

fn datafusion_state(e: &DataFusionError) -> &'static str {
    match e.find_root() {
        DataFusionError::SQL(..) => "42601",
        DataFusionError::SchemaError(err, _) => {
            let msg = err.to_string();
            if msg.contains("No field named") || msg.contains("not found") {
                "42703"
            } else {
                "42P10"
            }
        }
        DataFusionError::Plan(msg) => plan_state(msg),
        DataFusionError::NotImplemented(_) => "0A000",
        DataFusionError::ResourcesExhausted(_) => "53200",
        DataFusionError::ArrowError(err, _) => arrow_state(err),
        DataFusionError::Execution(msg) if msg.to_lowercase().contains("divide by zero") => "22012",
        DataFusionError::External(inner) => match inner.downcast_ref::<Error>() {
            Some(err) => err.sqlstate(),
            None => match inner.downcast_ref::<metastore::Error>() {
                Some(err) => catalog_state(err),
                None => "XX000",
            },
        },
        DataFusionError::ObjectStore(_) => "58030",
        DataFusionError::ParquetError(_) => "XX001",
        _ => "XX000",
    }
}

fn plan_state(msg: &str) -> &'static str {
    let lower = msg.to_lowercase();
    if lower.contains("table") && lower.contains("not found") {
        "42P01"
    } else if lower.contains("schema") && lower.contains("not found") {
        "3F000"
    } else if lower.contains("no field named")
        || lower.contains("column") && lower.contains("not found")
    {
        "42703"
    } else if lower.contains("invalid function")
        || lower.contains("function") && lower.contains("not found")
    {
        "42883"
    } else if lower.contains("cannot cast") || lower.contains("can't cast") {
        "42846"
    } else {
        "42000"
    }
}

fn arrow_state(e: &ArrowError) -> &'static str {
    match e {
        ArrowError::DivideByZero => "22012",
        ArrowError::CastError(_) | ArrowError::ParseError(_) => "22P02",
        ArrowError::ComputeError(msg) if msg.contains("overflow") => "22003",
        ArrowError::ArithmeticOverflow(_) => "22003",
        // a data file that is not what its table says: malformed text, or a damaged file
        ArrowError::CsvError(_) | ArrowError::JsonError(_) => "22P04",
        ArrowError::ParquetError(_) => "XX001",
        _ => "XX000",
    }
}

/// Maps any error a pgwire handler produced to an `ERROR` with a SQLSTATE: DataFusion and
/// parser errors raised inside the reused pgwire query handlers come through here.
pub(crate) fn rewrite_wire_error(err: &mut PgWireError) {
    let PgWireError::ApiError(inner) = err else {
        return;
    };
    let (state, message) = if let Some(e) = inner.downcast_ref::<DataFusionError>() {
        (datafusion_state(e), strip_context(e))
    } else if let Some(e) = inner.downcast_ref::<ParserError>() {
        ("42601", format!("syntax error: {e}"))
    } else if let Some(e) = inner.downcast_ref::<Error>() {
        (e.sqlstate(), e.to_string())
    } else {
        ("XX000", inner.to_string())
    };
    *err = PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_owned(),
        state.to_owned(),
        message,
    )));
}

/// The root error's message, after the views it came through (`in view a: in view b: ...`);
/// DataFusion's other context layers are left out.
pub(crate) fn strip_context(e: &DataFusionError) -> String {
    let mut views = String::new();
    let mut at = e;
    while let DataFusionError::Context(what, inner) = at {
        if what.starts_with(crate::view::VIEW_CONTEXT) {
            views.push_str(what);
            views.push_str(": ");
        }
        at = inner;
    }
    let root = match e.find_root() {
        DataFusionError::External(inner) => inner.to_string(),
        root => root.to_string(),
    };
    views + &root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_views_an_error_came_through() {
        let root = DataFusionError::Plan("table 't' not found".into());
        let e = root
            .context("Optimizer rule failed")
            .context("in view db.inner")
            .context("in view db.outer");
        assert_eq!(
            strip_context(&e),
            "in view db.outer: in view db.inner: Error during planning: table 't' not found"
        );
        assert_eq!(Error::from(e).sqlstate(), "42P01");
    }

    #[test]
    fn maps_common_failures_to_sqlstates() {
        let missing = DataFusionError::Plan("table 'lakehive.default.nope' not found".into());
        assert_eq!(Error::from(missing).sqlstate(), "42P01");
        let div = DataFusionError::ArrowError(Box::new(ArrowError::DivideByZero), None);
        assert_eq!(Error::from(div).sqlstate(), "22012");
        let db = metastore::Error::NotFound("database x".into());
        assert_eq!(Error::from(db).sqlstate(), "3F000");
        assert_eq!(Error::PermissionDenied("x".into()).sqlstate(), "42501");
    }

    #[test]
    fn api_errors_become_session_preserving_errors() {
        let mut err = PgWireError::ApiError(Box::new(DataFusionError::SQL(
            Box::new(ParserError::ParserError("bad".into())),
            None,
        )));
        rewrite_wire_error(&mut err);
        match err {
            PgWireError::UserError(info) => {
                assert_eq!(info.code, "42601");
                assert_eq!(info.severity, "ERROR");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
