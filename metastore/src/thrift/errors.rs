//! The one place where metastore errors become Thrift exceptions. Each handler passes the
//! exceptions its method declares (from `throws.rs`); the error becomes the first declared
//! exception in its preference list, so a client always receives a type it can decode for
//! that call, with Hive's message text.

use thrift::protocol::{TOutputProtocol, TSerializable};
use thrift_idl::hms as t;

use crate::error::Error;

/// Hive's exception types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names, dead_code)]
pub(crate) enum Exc {
    Meta,
    NoSuchObject,
    AlreadyExists,
    InvalidObject,
    InvalidOperation,
    InvalidInput,
    UnknownDB,
    UnknownTable,
    NoSuchLock,
    NoSuchTxn,
    TxnAborted,
    TxnOpen,
    ConfigValSecurity,
}

fn preference(e: &Error) -> &'static [Exc] {
    use Exc::*;
    match e {
        Error::NotFound(_) => &[
            NoSuchObject,
            UnknownTable,
            UnknownDB,
            NoSuchLock,
            InvalidOperation,
            Meta,
        ],
        Error::AlreadyExists(_) => &[AlreadyExists, InvalidObject, InvalidOperation, Meta],
        Error::InvalidObject(_) => &[InvalidObject, InvalidInput, InvalidOperation, Meta],
        Error::InvalidOperation(_) => &[InvalidOperation, InvalidObject, Meta],
        Error::InvalidInput(_) => &[Meta, InvalidInput, InvalidObject, InvalidOperation],
        _ => &[Meta, InvalidOperation],
    }
}

fn boxed(kind: Exc, msg: String) -> Box<dyn std::error::Error + Send + Sync> {
    let m = Some(msg);
    match kind {
        Exc::Meta => Box::new(t::MetaException { message: m }),
        Exc::NoSuchObject => Box::new(t::NoSuchObjectException { message: m }),
        Exc::AlreadyExists => Box::new(t::AlreadyExistsException { message: m }),
        Exc::InvalidObject => Box::new(t::InvalidObjectException { message: m }),
        Exc::InvalidOperation => Box::new(t::InvalidOperationException { message: m }),
        Exc::InvalidInput => Box::new(t::InvalidInputException { message: m }),
        Exc::UnknownDB => Box::new(t::UnknownDBException { message: m }),
        Exc::UnknownTable => Box::new(t::UnknownTableException { message: m }),
        Exc::NoSuchLock => Box::new(t::NoSuchLockException { message: m }),
        Exc::NoSuchTxn => Box::new(t::NoSuchTxnException { message: m }),
        Exc::TxnAborted => Box::new(t::TxnAbortedException { message: m }),
        Exc::TxnOpen => Box::new(t::TxnOpenException { message: m }),
        Exc::ConfigValSecurity => Box::new(t::ConfigValSecurityException { message: m }),
    }
}

/// `Some(f(exception))` when `e` is the exception type `kind`, else `None`.
macro_rules! as_kind {
    ($kind:expr, $e:expr, |$x:ident| $body:expr) => {
        match $kind {
            Exc::Meta => $e.downcast_ref::<t::MetaException>().map(|$x| $body),
            Exc::NoSuchObject => $e
                .downcast_ref::<t::NoSuchObjectException>()
                .map(|$x| $body),
            Exc::AlreadyExists => $e
                .downcast_ref::<t::AlreadyExistsException>()
                .map(|$x| $body),
            Exc::InvalidObject => $e
                .downcast_ref::<t::InvalidObjectException>()
                .map(|$x| $body),
            Exc::InvalidOperation => $e
                .downcast_ref::<t::InvalidOperationException>()
                .map(|$x| $body),
            Exc::InvalidInput => $e
                .downcast_ref::<t::InvalidInputException>()
                .map(|$x| $body),
            Exc::UnknownDB => $e.downcast_ref::<t::UnknownDBException>().map(|$x| $body),
            Exc::UnknownTable => $e
                .downcast_ref::<t::UnknownTableException>()
                .map(|$x| $body),
            Exc::NoSuchLock => $e.downcast_ref::<t::NoSuchLockException>().map(|$x| $body),
            Exc::NoSuchTxn => $e.downcast_ref::<t::NoSuchTxnException>().map(|$x| $body),
            Exc::TxnAborted => $e.downcast_ref::<t::TxnAbortedException>().map(|$x| $body),
            Exc::TxnOpen => $e.downcast_ref::<t::TxnOpenException>().map(|$x| $body),
            Exc::ConfigValSecurity => $e
                .downcast_ref::<t::ConfigValSecurityException>()
                .map(|$x| $body),
        }
    };
}

type UserError = dyn std::error::Error + Send + Sync;

/// Whether a handler's user error is the exception type `kind`.
pub(crate) fn is_declared(kind: Exc, e: &UserError) -> bool {
    as_kind!(kind, e, |_x| ()).is_some()
}

/// Writes a handler's user error as the exception struct `kind`; `None`, writing nothing,
/// when it is another type.
pub(crate) fn write_declared(
    kind: Exc,
    e: &UserError,
    o: &mut dyn TOutputProtocol,
) -> Option<thrift::Result<()>> {
    as_kind!(kind, e, |x| x.write_to_out_protocol(o))
}

/// Turns a metastore error into the Thrift error a method with `declared` exceptions sends.
pub(crate) fn to_wire(e: Error, declared: &[Exc]) -> thrift::Error {
    let msg = e.to_string();
    if matches!(
        e,
        Error::Internal(_) | Error::Corrupt(_) | Error::Storage(_) | Error::Io(_)
    ) {
        tracing::error!(error = %msg, "catalog operation failed");
    }
    match preference(&e).iter().find(|p| declared.contains(p)) {
        Some(kind) => thrift::Error::User(boxed(*kind, msg)),
        None => thrift::Error::Application(thrift::ApplicationError::new(
            thrift::ApplicationErrorKind::InternalError,
            msg,
        )),
    }
}

/// Converts a Thrift error received by a client back into a metastore error.
pub(crate) fn from_wire(e: thrift::Error) -> Error {
    let thrift::Error::User(u) = e else {
        return Error::Remote(e.to_string());
    };
    macro_rules! try_as {
        ($ty:ty, $variant:ident) => {
            if let Some(x) = u.downcast_ref::<$ty>() {
                return Error::$variant(x.message.clone().unwrap_or_default());
            }
        };
    }
    try_as!(t::NoSuchObjectException, NotFound);
    try_as!(t::UnknownDBException, NotFound);
    try_as!(t::UnknownTableException, NotFound);
    try_as!(t::NoSuchLockException, NotFound);
    try_as!(t::AlreadyExistsException, AlreadyExists);
    try_as!(t::InvalidObjectException, InvalidObject);
    try_as!(t::InvalidOperationException, InvalidOperation);
    try_as!(t::InvalidInputException, InvalidInput);
    if let Some(x) = u.downcast_ref::<t::MetaException>() {
        let msg = x.message.clone().unwrap_or_default();
        // The one MetaException a caller branches on: a failed optimistic check.
        if msg.starts_with("The table has been modified") {
            return Error::Conflict(msg);
        }
        return Error::InvalidInput(msg);
    }
    Error::Remote(u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(e: thrift::Error) -> String {
        match e {
            thrift::Error::User(u) => format!("{u:?}").split(' ').next().unwrap_or("").to_string(),
            other => format!("{other:?}").chars().take(20).collect(),
        }
    }

    #[test]
    fn picks_the_first_declared_preference() {
        let nf = || Error::NotFound("x".into());
        assert_eq!(
            kind(to_wire(nf(), &[Exc::Meta, Exc::NoSuchObject])),
            "NoSuchObjectException"
        );
        assert_eq!(
            kind(to_wire(nf(), &[Exc::Meta, Exc::UnknownTable])),
            "UnknownTableException"
        );
        assert_eq!(
            kind(to_wire(nf(), &[Exc::InvalidOperation, Exc::Meta])),
            "InvalidOperationException"
        );
        let bad = Error::InvalidInput("Error parsing partition filter".into());
        assert_eq!(
            kind(to_wire(bad, &[Exc::Meta, Exc::NoSuchObject])),
            "MetaException"
        );
        assert!(matches!(to_wire(nf(), &[]), thrift::Error::Application(_)));
    }

    #[test]
    fn client_side_round_trip() {
        let e = from_wire(to_wire(
            Error::AlreadyExists("db".into()),
            &[Exc::AlreadyExists],
        ));
        assert!(matches!(e, Error::AlreadyExists(m) if m == "db"));
    }
}
