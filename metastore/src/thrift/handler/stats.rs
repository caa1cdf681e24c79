//! Column statistics and single-partition adds.

use std::collections::BTreeMap;

use super::Handler;
use crate::error::Error;
use crate::model::StatsTarget;
use crate::thrift::convert::{self as cv, db_name};
use crate::thrift::errors::{to_wire, Exc};
use crate::thrift::throws as th;
use thrift_idl::hms as t;

impl Handler {
    fn target(
        &self,
        db: &str,
        table: &str,
        part: Option<&str>,
        declared: &[Exc],
    ) -> thrift::Result<StatsTarget> {
        Ok(match part {
            Some(name) => StatsTarget::Partition(self.values_of(db, table, name, declared)?),
            None => StatsTarget::Table,
        })
    }

    pub(super) fn update_stats(
        &self,
        s: t::ColumnStatistics,
        declared: &[Exc],
    ) -> thrift::Result<bool> {
        let d = s.stats_desc;
        let part = if d.is_tbl_level {
            None
        } else {
            d.part_name.as_deref()
        };
        if !d.is_tbl_level && part.is_none() {
            return Err(to_wire(
                Error::InvalidInput("partition statistics need a partition name".into()),
                declared,
            ));
        }
        let target = self.target(&d.db_name, &d.table_name, part, declared)?;
        let stats = s
            .stats_obj
            .into_iter()
            .map(|o| cv::stats_from(o, d.last_analyzed))
            .collect();
        self.run(
            declared,
            self.catalog
                .update_column_stats(&db_name(&d.db_name), &d.table_name, &target, stats),
        )?;
        Ok(true)
    }

    pub(super) fn one_stat(
        &self,
        db: &str,
        table: &str,
        part: Option<&str>,
        col: &str,
        declared: &[Exc],
    ) -> thrift::Result<t::ColumnStatistics> {
        let target = self.target(db, table, part, declared)?;
        let mut stats = self.run(
            declared,
            self.catalog
                .get_column_stats(&db_name(db), table, &target, &[col.to_string()]),
        )?;
        let Some(s) = stats.pop() else {
            let e = Error::NotFound(format!(
                "Statistics for column {col} of {db}.{table} do not exist"
            ));
            return Err(to_wire(e, declared));
        };
        let desc = t::ColumnStatisticsDesc {
            is_tbl_level: part.is_none(),
            db_name: db_name(db),
            table_name: table.to_lowercase(),
            part_name: part.map(Into::into),
            last_analyzed: s.last_analyzed,
            cat_name: Some("hive".into()),
        };
        Ok(t::ColumnStatistics {
            stats_desc: desc,
            stats_obj: vec![cv::stats_to(s)],
            is_stats_compliant: None,
            engine: None,
        })
    }

    pub(super) fn delete_stats(
        &self,
        db: &str,
        table: &str,
        part: Option<&str>,
        col: &str,
        declared: &[Exc],
    ) -> thrift::Result<bool> {
        let target = self.target(db, table, part, declared)?;
        let col = Some(col).filter(|c| !c.is_empty());
        self.run(
            declared,
            self.catalog
                .delete_column_stats(&db_name(db), table, &target, col),
        )?;
        Ok(true)
    }

    /// Statistics of several partitions (by name), loading the table once.
    pub(super) fn partition_stats(
        &self,
        r: t::PartitionsStatsRequest,
    ) -> thrift::Result<t::PartitionsStatsResult> {
        let declared = th::GET_PARTITIONS_STATISTICS_REQ;
        let db = db_name(&r.db_name);
        let tb = self.run(declared, self.catalog.get_table(&db, &r.tbl_name))?;
        let mut part_stats = BTreeMap::new();
        for name in r.part_names {
            let Ok(vals) = tb.partition_values(&name) else {
                continue;
            };
            let target = StatsTarget::Partition(vals);
            match self.rt.block_on(self.catalog.get_column_stats(
                &db,
                &tb.name,
                &target,
                &r.col_names,
            )) {
                Ok(stats) if !stats.is_empty() => {
                    part_stats.insert(name, stats.into_iter().map(cv::stats_to).collect());
                }
                Ok(_) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(to_wire(e, declared)),
            }
        }
        Ok(t::PartitionsStatsResult {
            part_stats,
            is_stats_compliant: None,
        })
    }
}
