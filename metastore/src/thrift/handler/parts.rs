//! Partitions.

use super::{limit_opt, Handler};
use crate::error::Error;
use crate::model::{Partition, PartitionList, PartitionQuery};
use crate::thrift::convert::{self as cv, db_name};
use crate::thrift::errors::{to_wire, Exc};
use crate::thrift::throws as th;
use thrift_idl::hms as t;

impl Handler {
    /// Adds partitions of one table (taken from the first partition when not given).
    pub(super) fn add_parts(
        &self,
        db: Option<&str>,
        table: Option<&str>,
        parts: Vec<t::Partition>,
        if_not_exists: bool,
        declared: &[Exc],
    ) -> thrift::Result<Vec<t::Partition>> {
        let parts: Vec<Partition> = parts
            .into_iter()
            .map(cv::partition_from)
            .collect::<crate::Result<_>>()
            .map_err(|e| to_wire(e, declared))?;
        let Some(first) = parts.first() else {
            return Ok(vec![]);
        };
        let db = db.map(db_name).unwrap_or_else(|| first.db_name.clone());
        let table = table
            .map(str::to_lowercase)
            .unwrap_or_else(|| first.table_name.clone());
        if parts.iter().any(|p| {
            (!p.db_name.is_empty() && p.db_name != db)
                || (!p.table_name.is_empty() && p.table_name != table)
        }) {
            let e = Error::InvalidObject("all partitions must belong to the same table".into());
            return Err(to_wire(e, declared));
        }
        let added = self.run(
            declared,
            self.catalog
                .add_partitions(&db, &table, parts, if_not_exists),
        )?;
        Ok(cv::partitions_to(added))
    }

    pub(super) fn add_one(
        &self,
        p: t::Partition,
        declared: &[Exc],
    ) -> thrift::Result<t::Partition> {
        let (db, table) = (p.db_name.clone(), p.table_name.clone());
        let mut added =
            self.add_parts(db.as_deref(), table.as_deref(), vec![p], false, declared)?;
        added
            .pop()
            .ok_or_else(|| to_wire(Error::Internal("no partition added".into()), declared))
    }

    /// `append_partition`: a new partition with the table's storage and default location.
    pub(super) fn append(
        &self,
        db: &str,
        table: &str,
        values: Vec<String>,
        declared: &[Exc],
    ) -> thrift::Result<t::Partition> {
        let db = db_name(db);
        let tb = self.run(declared, self.catalog.get_table(&db, table))?;
        let mut sd = tb.sd.clone();
        sd.location = None;
        let part = Partition {
            db_name: db.clone(),
            table_name: tb.name.clone(),
            values,
            sd,
            ..Default::default()
        };
        let mut added = self.run(
            declared,
            self.catalog
                .add_partitions(&db, &tb.name, vec![part], false),
        )?;
        added
            .pop()
            .map(cv::partition_to)
            .ok_or_else(|| to_wire(Error::Internal("append added nothing".into()), declared))
    }

    pub(super) fn values_of(
        &self,
        db: &str,
        table: &str,
        name: &str,
        declared: &[Exc],
    ) -> thrift::Result<Vec<String>> {
        let tb = self.run(declared, self.catalog.get_table(&db_name(db), table))?;
        tb.partition_values(name).map_err(|e| to_wire(e, declared))
    }

    pub(super) fn get_part(
        &self,
        db: &str,
        table: &str,
        values: &[String],
        declared: &[Exc],
    ) -> thrift::Result<t::Partition> {
        let p = self.run(
            declared,
            self.catalog.get_partition(&db_name(db), table, values),
        )?;
        Ok(cv::partition_to(p))
    }

    pub(super) fn list_parts(
        &self,
        db: &str,
        table: &str,
        query: PartitionQuery,
        max: Option<usize>,
        declared: &[Exc],
    ) -> thrift::Result<Vec<t::Partition>> {
        let parts = self.run(
            declared,
            self.catalog
                .list_partitions(&db_name(db), table, &query, max),
        )?;
        Ok(cv::partitions_to(parts))
    }

    /// A listing sharing the table's descriptor, for the streaming writer (`listing.rs`).
    pub(crate) fn list_rows(
        &self,
        db: &str,
        table: &str,
        query: PartitionQuery,
        max: Option<i16>,
        declared: &[Exc],
    ) -> thrift::Result<PartitionList> {
        self.run(
            declared,
            self.catalog
                .list_partition_rows(&db_name(db), table, &query, limit_opt(max)),
        )
    }

    pub(super) fn list_names(
        &self,
        db: &str,
        table: &str,
        query: PartitionQuery,
        max: Option<usize>,
        declared: &[Exc],
    ) -> thrift::Result<Vec<String>> {
        self.run(
            declared,
            self.catalog
                .list_partition_names(&db_name(db), table, &query, max),
        )
    }

    pub(super) fn drop_parts(
        &self,
        db: &str,
        table: &str,
        values: Vec<Vec<String>>,
        delete_data: bool,
        declared: &[Exc],
    ) -> thrift::Result<Vec<t::Partition>> {
        let db = db_name(db);
        let fut = self
            .catalog
            .drop_partitions(&db, table, &values, delete_data, false);
        Ok(cv::partitions_to(self.run(declared, fut)?))
    }

    pub(super) fn drop_req(
        &self,
        req: t::DropPartitionsRequest,
    ) -> thrift::Result<t::DropPartitionsResult> {
        let declared = th::DROP_PARTITIONS_REQ;
        let t::RequestPartsSpec::Names(names) = req.parts else {
            let e = Error::InvalidInput(
                "dropping partitions by serialized expressions is not supported; drop them by name"
                    .into(),
            );
            return Err(to_wire(e, declared));
        };
        let db = db_name(&req.db_name);
        let if_exists = req.if_exists.unwrap_or(true);
        let tb = self.run(declared, self.catalog.get_table(&db, &req.tbl_name))?;
        let mut values = Vec::with_capacity(names.len());
        for name in &names {
            match tb.partition_values(name) {
                Ok(v) => values.push(v),
                Err(_) if if_exists => {}
                Err(e) => return Err(to_wire(e, declared)),
            }
        }
        let delete_data = req.delete_data.unwrap_or(true);
        let fut = self
            .catalog
            .drop_partitions(&db, &tb.name, &values, delete_data, if_exists);
        let dropped = cv::partitions_to(self.run(declared, fut)?);
        Ok(t::DropPartitionsResult {
            partitions: req.need_result.unwrap_or(true).then_some(dropped),
        })
    }

    pub(super) fn alter_parts(
        &self,
        db: &str,
        table: &str,
        parts: Vec<t::Partition>,
        declared: &[Exc],
    ) -> thrift::Result<()> {
        let parts: Vec<Partition> = parts
            .into_iter()
            .map(cv::partition_from)
            .collect::<crate::Result<_>>()
            .map_err(|e| to_wire(e, declared))?;
        self.run(
            declared,
            self.catalog.alter_partitions(&db_name(db), table, parts),
        )
    }

    pub(super) fn rename_part(
        &self,
        db: &str,
        table: &str,
        old: Vec<String>,
        new: t::Partition,
    ) -> thrift::Result<()> {
        let declared = th::RENAME_PARTITION;
        if old.is_empty() {
            return self.alter_parts(db, table, vec![new], declared);
        }
        let part = cv::partition_from(new).map_err(|e| to_wire(e, declared))?;
        self.run(
            declared,
            self.catalog
                .rename_partition(&db_name(db), table, &old, part),
        )
    }
}
