//! Partition listings written from the catalog's compact rows. Through the generated
//! processor the handler would build a `Vec<t::Partition>` in which every partition has its
//! own copy of the table's storage descriptor, all held until the reply is written; for ten
//! thousand partitions that copying and freeing was most of the server's time. Here each
//! row is moved into one wire `Partition` that carries the table's descriptor and written at
//! once. The bytes on the wire are the generated code's (pinned by the tests below).

use std::io::Write;

use thrift::protocol::{
    TBinaryOutputProtocol, TFieldIdentifier, TInputProtocol, TListIdentifier, TMessageIdentifier,
    TMessageType, TOutputProtocol, TSerializable, TStructIdentifier, TType,
};
use thrift::{ApplicationError, ApplicationErrorKind};

use super::convert as cv;
use super::errors::{is_declared, write_declared, Exc};
use super::handler::Handler;
use super::throws as th;
use crate::model::{Partition, PartitionList, PartitionQuery, StorageDescriptor};

/// The listing methods served here; every other call goes to the generated processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    /// `get_partitions(db, tbl, max)`.
    All,
    /// `get_partitions_with_auth(db, tbl, max, user, groups)` (Spark's full listing).
    AllWithAuth,
    /// `get_partitions_by_filter(db, tbl, filter, max)` (Spark's pruning).
    ByFilter,
    /// `get_partitions_ps(db, tbl, values, max)`.
    Values,
    /// `get_partitions_ps_with_auth(db, tbl, values, max, user, groups)` (Spark's listing
    /// under a partial partition spec).
    ValuesWithAuth,
    /// `get_partitions_by_names(db, tbl, names)`.
    ByNames,
}

impl Listing {
    /// The listing a method name calls for.
    pub(super) fn of(method: &str) -> Option<Listing> {
        match method {
            "get_partitions" => Some(Listing::All),
            "get_partitions_with_auth" => Some(Listing::AllWithAuth),
            "get_partitions_by_filter" => Some(Listing::ByFilter),
            "get_partitions_ps" => Some(Listing::Values),
            "get_partitions_ps_with_auth" => Some(Listing::ValuesWithAuth),
            "get_partitions_by_names" => Some(Listing::ByNames),
            _ => None,
        }
    }

    fn method(self) -> &'static str {
        match self {
            Listing::All => "get_partitions",
            Listing::AllWithAuth => "get_partitions_with_auth",
            Listing::ByFilter => "get_partitions_by_filter",
            Listing::Values => "get_partitions_ps",
            Listing::ValuesWithAuth => "get_partitions_ps_with_auth",
            Listing::ByNames => "get_partitions_by_names",
        }
    }

    fn declared(self) -> &'static [Exc] {
        match self {
            Listing::All => th::GET_PARTITIONS,
            Listing::AllWithAuth => th::GET_PARTITIONS_WITH_AUTH,
            Listing::ByFilter => th::GET_PARTITIONS_BY_FILTER,
            Listing::Values => th::GET_PARTITIONS_PS,
            Listing::ValuesWithAuth => th::GET_PARTITIONS_PS_WITH_AUTH,
            Listing::ByNames => th::GET_PARTITIONS_BY_NAMES,
        }
    }
}

/// The string, i16 and list-of-string arguments of a call, by field id; others are skipped.
#[derive(Debug, Default)]
struct Args {
    strings: Vec<(i16, String)>,
    shorts: Vec<(i16, i16)>,
    lists: Vec<(i16, Vec<String>)>,
}

impl Args {
    fn read(i: &mut dyn TInputProtocol) -> thrift::Result<Args> {
        let mut args = Args::default();
        i.read_struct_begin()?;
        loop {
            let field = i.read_field_begin()?;
            match (field.field_type, field.id) {
                (TType::Stop, _) => break,
                (TType::String, Some(id)) => args.strings.push((id, i.read_string()?)),
                (TType::I16, Some(id)) => args.shorts.push((id, i.read_i16()?)),
                (TType::List | TType::Set, Some(id)) => {
                    args.lists.push((id, read_strings(i, field.field_type)?))
                }
                (other, _) => i.skip(other)?,
            }
            i.read_field_end()?;
        }
        i.read_struct_end()?;
        Ok(args)
    }

    fn string(&self, id: i16) -> String {
        let found = self.strings.iter().rev().find(|(i, _)| *i == id);
        found.map(|(_, s)| s.clone()).unwrap_or_default()
    }

    fn short(&self, id: i16) -> i16 {
        let found = self.shorts.iter().rev().find(|(i, _)| *i == id);
        found.map_or(0, |(_, v)| *v)
    }

    fn list(&self, id: i16) -> Vec<String> {
        let found = self.lists.iter().rev().find(|(i, _)| *i == id);
        found.map(|(_, l)| l.clone()).unwrap_or_default()
    }
}

/// A `list<string>` (or a set, encoded the same way); one of anything else is skipped and
/// reads as empty.
fn read_strings(i: &mut dyn TInputProtocol, kind: TType) -> thrift::Result<Vec<String>> {
    let (element_type, size) = if kind == TType::Set {
        let set = i.read_set_begin()?;
        (set.element_type, set.size)
    } else {
        let list = i.read_list_begin()?;
        (list.element_type, list.size)
    };
    let mut out = Vec::new();
    for _ in 0..size {
        if element_type == TType::String {
            out.push(i.read_string()?);
        } else {
            i.skip(element_type)?;
        }
    }
    if kind == TType::Set {
        i.read_set_end()?;
    } else {
        i.read_list_end()?;
    }
    Ok(out)
}

/// Serves one call of `listing` whose message header has been read.
pub(super) fn serve<W: Write>(
    listing: Listing,
    handler: &Handler,
    seq: i32,
    i: &mut dyn TInputProtocol,
    o: &mut TBinaryOutputProtocol<W>,
) -> thrift::Result<()> {
    let args = Args::read(i)?;
    let (query, max) = match listing {
        Listing::All | Listing::AllWithAuth => (PartitionQuery::All, Some(args.short(3))),
        Listing::ByFilter => (PartitionQuery::Filter(args.string(3)), Some(args.short(4))),
        Listing::Values | Listing::ValuesWithAuth => {
            (PartitionQuery::Values(args.list(3)), Some(args.short(4)))
        }
        Listing::ByNames => (PartitionQuery::Names(args.list(3)), None),
    };
    let (db, table) = (args.string(1), args.string(2));
    let method = listing.method();
    match handler.list_rows(&db, &table, query, max, listing.declared()) {
        Ok(list) => {
            o.write_message_begin(&TMessageIdentifier::new(method, TMessageType::Reply, seq))?;
            o.write_struct_begin(&TStructIdentifier::new(format!("{method}_result")))?;
            o.write_field_begin(&TFieldIdentifier::new("success", TType::List, 0))?;
            write_partitions(o, list)?;
            o.write_field_end()?;
            o.write_field_stop()?;
            o.write_struct_end()?;
            o.write_message_end()?;
            o.flush()
        }
        Err(e) => write_error(o, method, seq, e, listing.declared()),
    }
}

/// `list<Partition>`: rows with the table's descriptor are written from bytes encoded once
/// (`wire`); a row with its own descriptor is converted whole.
fn write_partitions<W: Write>(
    o: &mut TBinaryOutputProtocol<W>,
    list: PartitionList,
) -> thrift::Result<()> {
    let PartitionList { table, rows } = list;
    let mut shared = SharedPartition::new(cv::partition_to(Partition {
        db_name: table.db_name.clone(),
        table_name: table.name.clone(),
        sd: StorageDescriptor {
            location: None,
            ..table.sd.clone()
        },
        ..Partition::default()
    }))?;
    let size = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    o.write_list_begin(&TListIdentifier::new(TType::Struct, size))?;
    for row in rows {
        if row.sd.is_some() {
            cv::partition_to(row.into_partition(&table)).write_to_out_protocol(o)?;
        } else {
            // The protocol keeps no state between values: bytes may go straight to its
            // transport.
            shared.write(&row, &mut o.transport)?;
        }
    }
    o.write_list_end()
}

/// A failed call answered as the generated processor does: a declared exception in its
/// result field (`o1`, `o2`, … in declaration order), anything else as an application error.
fn write_error(
    o: &mut dyn TOutputProtocol,
    method: &str,
    seq: i32,
    e: thrift::Error,
    declared: &[Exc],
) -> thrift::Result<()> {
    if let thrift::Error::User(user) = &e {
        let found = (1i16..)
            .zip(declared)
            .find(|(_, k)| is_declared(**k, user.as_ref()));
        if let Some((n, kind)) = found {
            o.write_message_begin(&TMessageIdentifier::new(method, TMessageType::Reply, seq))?;
            o.write_struct_begin(&TStructIdentifier::new(format!("{method}_result")))?;
            o.write_field_begin(&TFieldIdentifier::new(format!("o{n}"), TType::Struct, n))?;
            write_declared(*kind, user.as_ref(), o).unwrap_or(Ok(()))?;
            o.write_field_end()?;
            o.write_field_stop()?;
            o.write_struct_end()?;
            o.write_message_end()?;
            return o.flush();
        }
    }
    let app = match e {
        thrift::Error::Application(a) => a,
        thrift::Error::User(u) => {
            ApplicationError::new(ApplicationErrorKind::Unknown, u.to_string())
        }
        other => ApplicationError::new(ApplicationErrorKind::Unknown, other.to_string()),
    };
    o.write_message_begin(&TMessageIdentifier::new(
        method,
        TMessageType::Exception,
        seq,
    ))?;
    thrift::Error::write_application_error_to_out_protocol(&app, o)?;
    o.write_message_end()?;
    o.flush()
}

#[cfg(test)]
mod tests;
mod wire;

use wire::SharedPartition;
