//! Conversions between the generated Thrift structs and the domain model, both directions, in
//! one place. Incoming optional fields that Hive requires become `InvalidObject` errors here,
//! never panics later. Outgoing structs always carry the fields clients dereference
//! (`sd`, `serdeInfo`, `parameters`, `partitionKeys`).

use std::collections::BTreeMap;

use thrift::OrderedFloat;
use thrift_idl::hms as t;

use crate::error::{Error, Result};
use crate::model::{
    Column, ColumnStats, ColumnStatsData, Database, Decimal, Event, Function, Params, Partition,
    PrincipalType, SerDe, SkewedInfo, SortColumn, StorageDescriptor, Table, TableMeta,
};

/// Strips Hive 3/4's `@<catalog>#` prefix from a database name or pattern. `@cat#` alone
/// and `@cat#!` (Hive's marker for a null name) become "".
pub(crate) fn db_name(raw: &str) -> String {
    match raw.strip_prefix('@').and_then(|r| r.split_once('#')) {
        Some((_, "!")) => String::new(),
        Some((_, db)) => db.to_lowercase(),
        None => raw.to_lowercase(),
    }
}

fn required<T>(v: Option<T>, what: &str) -> Result<T> {
    v.ok_or_else(|| Error::InvalidObject(format!("required field {what} is missing")))
}

fn principal_from(p: Option<t::PrincipalType>) -> Option<PrincipalType> {
    match p?.0 {
        1 => Some(PrincipalType::User),
        2 => Some(PrincipalType::Role),
        3 => Some(PrincipalType::Group),
        _ => None,
    }
}

fn principal_to(p: Option<PrincipalType>) -> Option<t::PrincipalType> {
    p.map(|p| match p {
        PrincipalType::User => t::PrincipalType::USER,
        PrincipalType::Role => t::PrincipalType::ROLE,
        PrincipalType::Group => t::PrincipalType::GROUP,
    })
}

pub(crate) fn database_from(d: t::Database) -> Result<Database> {
    Ok(Database {
        name: db_name(&required(d.name, "Database.name")?),
        description: d.description,
        location: d.location_uri.unwrap_or_default(),
        parameters: d.parameters.unwrap_or_default(),
        owner_name: d.owner_name,
        owner_type: principal_from(d.owner_type),
        create_time: d.create_time.unwrap_or(0),
    })
}

pub(crate) fn database_to(d: Database) -> t::Database {
    t::Database {
        name: Some(d.name),
        description: d.description,
        location_uri: Some(d.location),
        parameters: Some(d.parameters),
        owner_name: d.owner_name,
        owner_type: principal_to(d.owner_type),
        catalog_name: Some("hive".into()),
        create_time: Some(d.create_time),
        privileges: None,
        managed_location_uri: None,
        type_: None,
        connector_name: None,
        remote_dbname: None,
    }
}

pub(crate) fn column_from(f: t::FieldSchema) -> Result<Column> {
    Ok(Column {
        name: required(f.name, "FieldSchema.name")?,
        type_name: f.type_.unwrap_or_else(|| "string".into()),
        comment: f.comment,
    })
}

pub(crate) fn column_to(c: Column) -> t::FieldSchema {
    t::FieldSchema {
        name: Some(c.name),
        type_: Some(c.type_name),
        comment: c.comment,
    }
}

pub(crate) fn columns_from(cols: Option<Vec<t::FieldSchema>>) -> Result<Vec<Column>> {
    cols.unwrap_or_default()
        .into_iter()
        .map(column_from)
        .collect()
}

pub(crate) fn columns_to(cols: Vec<Column>) -> Vec<t::FieldSchema> {
    cols.into_iter().map(column_to).collect()
}

fn serde_from(s: Option<t::SerDeInfo>) -> SerDe {
    let Some(s) = s else { return SerDe::default() };
    SerDe {
        name: s.name,
        serialization_lib: s.serialization_lib,
        parameters: s.parameters.unwrap_or_default(),
        description: s.description,
        serializer_class: s.serializer_class,
        deserializer_class: s.deserializer_class,
        serde_type: s.serde_type.map(|t| t.0),
    }
}

fn serde_to(s: SerDe) -> t::SerDeInfo {
    t::SerDeInfo {
        name: s.name,
        serialization_lib: s.serialization_lib,
        parameters: Some(s.parameters),
        description: s.description,
        serializer_class: s.serializer_class,
        deserializer_class: s.deserializer_class,
        serde_type: s.serde_type.map(t::SerdeType),
    }
}

pub(crate) fn sd_from(sd: Option<t::StorageDescriptor>) -> Result<StorageDescriptor> {
    let Some(sd) = sd else {
        return Ok(StorageDescriptor {
            num_buckets: -1,
            ..Default::default()
        });
    };
    Ok(StorageDescriptor {
        columns: columns_from(sd.cols)?,
        location: sd.location.filter(|l| !l.is_empty()),
        input_format: sd.input_format,
        output_format: sd.output_format,
        compressed: sd.compressed.unwrap_or(false),
        num_buckets: sd.num_buckets.unwrap_or(-1),
        serde: serde_from(sd.serde_info),
        bucket_columns: sd.bucket_cols.unwrap_or_default(),
        sort_columns: sd
            .sort_cols
            .unwrap_or_default()
            .into_iter()
            .map(|o| SortColumn {
                column: o.col.unwrap_or_default(),
                order: o.order.unwrap_or(1),
            })
            .collect(),
        parameters: sd.parameters.unwrap_or_default(),
        skewed: sd
            .skewed_info
            .map(|s| SkewedInfo {
                column_names: s.skewed_col_names.unwrap_or_default(),
                column_values: s.skewed_col_values.unwrap_or_default(),
                locations: s
                    .skewed_col_value_location_maps
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            })
            .filter(|s| !s.column_names.is_empty()),
        stored_as_sub_directories: sd.stored_as_sub_directories.unwrap_or(false),
    })
}

pub(crate) fn sd_to(sd: StorageDescriptor) -> t::StorageDescriptor {
    t::StorageDescriptor {
        cols: Some(columns_to(sd.columns)),
        location: sd.location,
        input_format: sd.input_format,
        output_format: sd.output_format,
        compressed: Some(sd.compressed),
        num_buckets: Some(sd.num_buckets),
        serde_info: Some(serde_to(sd.serde)),
        bucket_cols: Some(sd.bucket_columns),
        sort_cols: Some(
            sd.sort_columns
                .into_iter()
                .map(|s| t::Order {
                    col: Some(s.column),
                    order: Some(s.order),
                })
                .collect(),
        ),
        parameters: Some(sd.parameters),
        skewed_info: Some(match sd.skewed {
            Some(s) => t::SkewedInfo {
                skewed_col_names: Some(s.column_names),
                skewed_col_values: Some(s.column_values),
                skewed_col_value_location_maps: Some(s.locations.into_iter().collect()),
            },
            None => t::SkewedInfo {
                skewed_col_names: Some(vec![]),
                skewed_col_values: Some(vec![]),
                skewed_col_value_location_maps: Some(BTreeMap::new()),
            },
        }),
        stored_as_sub_directories: Some(sd.stored_as_sub_directories),
    }
}

/// A table from the wire; `db` fills in a missing database name.
pub(crate) fn table_from(tb: t::Table) -> Result<Table> {
    Ok(Table {
        db_name: db_name(&tb.db_name.unwrap_or_default()),
        name: required(tb.table_name, "Table.tableName")?.to_lowercase(),
        owner: tb.owner,
        owner_type: principal_from(tb.owner_type),
        create_time: tb.create_time.unwrap_or(0),
        last_access_time: tb.last_access_time.unwrap_or(0),
        retention: tb.retention.unwrap_or(0),
        sd: sd_from(tb.sd)?,
        partition_keys: columns_from(tb.partition_keys)?,
        parameters: tb.parameters.unwrap_or_default(),
        view_original_text: tb.view_original_text,
        view_expanded_text: tb.view_expanded_text,
        table_type: tb.table_type.unwrap_or_default(),
        temporary: tb.temporary.unwrap_or(false),
        rewrite_enabled: tb.rewrite_enabled,
    })
}

pub(crate) fn table_to(tb: Table) -> t::Table {
    t::Table {
        table_name: Some(tb.name),
        db_name: Some(tb.db_name),
        owner: tb.owner,
        create_time: Some(tb.create_time),
        last_access_time: Some(tb.last_access_time),
        retention: Some(tb.retention),
        sd: Some(sd_to(tb.sd)),
        partition_keys: Some(columns_to(tb.partition_keys)),
        parameters: Some(tb.parameters),
        view_original_text: tb.view_original_text,
        view_expanded_text: tb.view_expanded_text,
        table_type: Some(tb.table_type),
        temporary: Some(tb.temporary),
        rewrite_enabled: tb.rewrite_enabled,
        cat_name: Some("hive".into()),
        owner_type: principal_to(tb.owner_type),
        privileges: None,
        creation_metadata: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        access_type: None,
        required_read_capabilities: None,
        required_write_capabilities: None,
        id: None,
        file_metadata: None,
        dictionary: None,
        txn_id: None,
    }
}

pub(crate) fn partition_from(p: t::Partition) -> Result<Partition> {
    Ok(Partition {
        db_name: db_name(&p.db_name.unwrap_or_default()),
        table_name: p.table_name.unwrap_or_default().to_lowercase(),
        values: required(p.values, "Partition.values")?,
        create_time: p.create_time.unwrap_or(0),
        last_access_time: p.last_access_time.unwrap_or(0),
        sd: sd_from(p.sd)?,
        parameters: p.parameters.unwrap_or_default(),
    })
}

pub(crate) fn partition_to(p: Partition) -> t::Partition {
    t::Partition {
        values: Some(p.values),
        db_name: Some(p.db_name),
        table_name: Some(p.table_name),
        create_time: Some(p.create_time),
        last_access_time: Some(p.last_access_time),
        sd: Some(sd_to(p.sd)),
        parameters: Some(p.parameters),
        cat_name: Some("hive".into()),
        privileges: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        file_metadata: None,
    }
}

pub(crate) fn partitions_to(ps: Vec<Partition>) -> Vec<t::Partition> {
    ps.into_iter().map(partition_to).collect()
}

pub(crate) fn table_meta_to(m: TableMeta) -> t::TableMeta {
    t::TableMeta {
        db_name: m.db_name,
        table_name: m.table_name,
        table_type: m.table_type,
        comments: m.comment,
        cat_name: Some("hive".into()),
        owner_name: None,
        owner_type: None,
    }
}

pub(crate) fn function_from(f: t::Function) -> Result<Function> {
    Ok(Function {
        db_name: db_name(&f.db_name.unwrap_or_default()),
        name: required(f.function_name, "Function.functionName")?,
        class_name: f.class_name.unwrap_or_default(),
        owner_name: f.owner_name,
        owner_type: principal_from(f.owner_type),
        create_time: f.create_time.unwrap_or(0),
        function_type: f.function_type.map(|t| t.0).unwrap_or(1),
        resources: f
            .resource_uris
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                (
                    r.resource_type.map(|t| t.0).unwrap_or(1),
                    r.uri.unwrap_or_default(),
                )
            })
            .collect(),
    })
}

pub(crate) fn function_to(f: Function) -> t::Function {
    t::Function {
        function_name: Some(f.name),
        db_name: Some(f.db_name),
        class_name: Some(f.class_name),
        owner_name: f.owner_name,
        owner_type: principal_to(f.owner_type),
        create_time: Some(f.create_time),
        function_type: Some(t::FunctionType(f.function_type)),
        resource_uris: Some(
            f.resources
                .into_iter()
                .map(|(k, uri)| t::ResourceUri {
                    resource_type: Some(t::ResourceType(k)),
                    uri: Some(uri),
                })
                .collect(),
        ),
        cat_name: Some("hive".into()),
    }
}

pub(crate) fn event_to(e: Event) -> t::NotificationEvent {
    t::NotificationEvent {
        event_id: e.id,
        event_time: e.time,
        event_type: e.kind,
        db_name: e.db_name,
        table_name: e.table_name,
        message: e.message,
        message_format: Some("json-0.2".into()),
        cat_name: Some("hive".into()),
    }
}

pub(crate) fn params(ctx: &Option<t::EnvironmentContext>) -> Params {
    ctx.as_ref()
        .and_then(|c| c.properties.clone())
        .unwrap_or_default()
}

fn f64_opt(v: Option<OrderedFloat<f64>>) -> Option<f64> {
    v.map(|f| f.0)
}

pub(crate) fn stats_from(obj: t::ColumnStatisticsObj, last_analyzed: Option<i64>) -> ColumnStats {
    use t::ColumnStatisticsData as D;
    let data = match obj.stats_data {
        D::BooleanStats(s) => ColumnStatsData::Boolean {
            num_trues: s.num_trues,
            num_falses: s.num_falses,
            num_nulls: s.num_nulls,
            bit_vectors: s.bit_vectors,
        },
        D::LongStats(s) => ColumnStatsData::Long {
            low: s.low_value,
            high: s.high_value,
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
        },
        D::DoubleStats(s) => ColumnStatsData::Double {
            low: f64_opt(s.low_value),
            high: f64_opt(s.high_value),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
        },
        D::StringStats(s) => ColumnStatsData::String {
            max_len: s.max_col_len,
            avg_len: s.avg_col_len.0,
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
        },
        D::BinaryStats(s) => ColumnStatsData::Binary {
            max_len: s.max_col_len,
            avg_len: s.avg_col_len.0,
            num_nulls: s.num_nulls,
            bit_vectors: s.bit_vectors,
        },
        D::DecimalStats(s) => ColumnStatsData::Decimal {
            low: s.low_value.map(|d| Decimal {
                unscaled: d.unscaled,
                scale: d.scale,
            }),
            high: s.high_value.map(|d| Decimal {
                unscaled: d.unscaled,
                scale: d.scale,
            }),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
        },
        D::DateStats(s) => ColumnStatsData::Date {
            low: s.low_value.map(|d| d.days_since_epoch),
            high: s.high_value.map(|d| d.days_since_epoch),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
        },
        D::TimestampStats(s) => ColumnStatsData::Timestamp {
            low: s.low_value.map(|d| d.seconds_since_epoch),
            high: s.high_value.map(|d| d.seconds_since_epoch),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
        },
    };
    ColumnStats {
        column: obj.col_name.to_lowercase(),
        column_type: obj.col_type,
        last_analyzed,
        data,
    }
}

pub(crate) fn stats_to(s: ColumnStats) -> t::ColumnStatisticsObj {
    use t::ColumnStatisticsData as D;
    use ColumnStatsData as C;
    let dec = |d: Decimal| t::Decimal {
        unscaled: d.unscaled,
        scale: d.scale,
    };
    let data = match s.data {
        C::Boolean {
            num_trues,
            num_falses,
            num_nulls,
            bit_vectors,
        } => D::BooleanStats(t::BooleanColumnStatsData {
            num_trues,
            num_falses,
            num_nulls,
            bit_vectors,
        }),
        C::Long {
            low,
            high,
            num_nulls,
            num_dvs,
            bit_vectors,
        } => D::LongStats(t::LongColumnStatsData {
            low_value: low,
            high_value: high,
            num_nulls,
            num_d_vs: num_dvs,
            bit_vectors,
            histogram: None,
        }),
        C::Double {
            low,
            high,
            num_nulls,
            num_dvs,
            bit_vectors,
        } => D::DoubleStats(t::DoubleColumnStatsData {
            low_value: low.map(OrderedFloat),
            high_value: high.map(OrderedFloat),
            num_nulls,
            num_d_vs: num_dvs,
            bit_vectors,
            histogram: None,
        }),
        C::String {
            max_len,
            avg_len,
            num_nulls,
            num_dvs,
            bit_vectors,
        } => D::StringStats(t::StringColumnStatsData {
            max_col_len: max_len,
            avg_col_len: OrderedFloat(avg_len),
            num_nulls,
            num_d_vs: num_dvs,
            bit_vectors,
        }),
        C::Binary {
            max_len,
            avg_len,
            num_nulls,
            bit_vectors,
        } => D::BinaryStats(t::BinaryColumnStatsData {
            max_col_len: max_len,
            avg_col_len: OrderedFloat(avg_len),
            num_nulls,
            bit_vectors,
        }),
        C::Decimal {
            low,
            high,
            num_nulls,
            num_dvs,
            bit_vectors,
        } => D::DecimalStats(t::DecimalColumnStatsData {
            low_value: low.map(dec),
            high_value: high.map(dec),
            num_nulls,
            num_d_vs: num_dvs,
            bit_vectors,
            histogram: None,
        }),
        C::Date {
            low,
            high,
            num_nulls,
            num_dvs,
            bit_vectors,
        } => D::DateStats(t::DateColumnStatsData {
            low_value: low.map(|d| t::Date {
                days_since_epoch: d,
            }),
            high_value: high.map(|d| t::Date {
                days_since_epoch: d,
            }),
            num_nulls,
            num_d_vs: num_dvs,
            bit_vectors,
            histogram: None,
        }),
        C::Timestamp {
            low,
            high,
            num_nulls,
            num_dvs,
            bit_vectors,
        } => D::TimestampStats(t::TimestampColumnStatsData {
            low_value: low.map(|d| t::Timestamp {
                seconds_since_epoch: d,
            }),
            high_value: high.map(|d| t::Timestamp {
                seconds_since_epoch: d,
            }),
            num_nulls,
            num_d_vs: num_dvs,
            bit_vectors,
            histogram: None,
        }),
    };
    t::ColumnStatisticsObj {
        col_name: s.column,
        col_type: s.column_type,
        stats_data: data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_prefix_is_stripped() {
        assert_eq!(db_name("@hive#Sales"), "sales");
        assert_eq!(db_name("sales"), "sales");
        assert_eq!(db_name("@hive#"), "");
        assert_eq!(db_name("@hive#!"), "");
    }

    #[test]
    fn tables_round_trip_and_always_carry_serde_info() {
        let mut tb = Table {
            db_name: "d".into(),
            name: "t".into(),
            ..Default::default()
        };
        tb.partition_keys.push(Column {
            name: "y".into(),
            type_name: "int".into(),
            comment: None,
        });
        let wire = table_to(tb.clone());
        assert!(wire.sd.as_ref().unwrap().serde_info.is_some());
        assert!(wire.parameters.is_some() && wire.partition_keys.is_some());
        assert_eq!(table_from(wire).unwrap(), tb);
    }

    #[test]
    fn missing_required_fields_are_errors() {
        assert!(matches!(
            table_from(t::Table {
                table_name: None,
                ..Default::default()
            }),
            Err(Error::InvalidObject(_))
        ));
        assert!(matches!(
            partition_from(t::Partition {
                values: None,
                ..Default::default()
            }),
            Err(Error::InvalidObject(_))
        ));
    }
}
