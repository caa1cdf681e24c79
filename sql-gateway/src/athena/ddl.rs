//! Catalog DDL: databases, tables, partitions and MSCK REPAIR.

use metastore::model::{table_type, Column, Database, Partition, SerDe, StorageDescriptor, Table};

use super::parse::{ColumnDef, CreateTable, MsckMode, Name, PartSpec};
use super::{Env, Output};
use crate::error::{Error, Result};
use crate::format::storage_classes;
use crate::hive_types::to_arrow;
use crate::storage::Location;

pub(super) fn done(tag: &str) -> Result<Output> {
    Ok(Output::Done(tag.to_string()))
}

pub(super) async fn create_database(
    env: &Env<'_>,
    name: String,
    if_not_exists: bool,
    comment: Option<String>,
    location: Option<String>,
    properties: Vec<(String, String)>,
) -> Result<Output> {
    env.user.check(&name, true)?;
    if let Some(l) = &location {
        env.check_location(l).await?;
    }
    let db = Database {
        name: name.clone(),
        description: comment,
        location: location.unwrap_or_default(),
        parameters: properties.into_iter().collect(),
        owner_name: Some(env.user.name.clone()),
        ..Default::default()
    };
    match env.catalog.create_database(db).await {
        Err(metastore::Error::AlreadyExists(_)) if if_not_exists => {}
        other => other?,
    }
    env.cache.invalidate(&name);
    done("CREATE SCHEMA")
}

pub(super) async fn drop_database(
    env: &Env<'_>,
    name: &str,
    if_exists: bool,
    cascade: bool,
) -> Result<Output> {
    env.user.check(name, true)?;
    match env.catalog.drop_database(name, cascade, true).await {
        Err(metastore::Error::NotFound(_)) if if_exists => {}
        other => other?,
    }
    env.cache.invalidate(name);
    done("DROP SCHEMA")
}

pub(super) fn hive_column(c: ColumnDef) -> Result<Column> {
    to_arrow(&c.type_name)?;
    Ok(Column {
        name: c.name,
        type_name: c.type_name,
        comment: c.comment,
    })
}

pub(super) async fn create_table(env: &Env<'_>, t: CreateTable) -> Result<Output> {
    let db = env.db_of(&t.name);
    env.user.check(&db, true)?;
    match &t.location {
        Some(l) => env.check_location(l).await?,
        None => env.check_default_location(&db, &t.name.1).await?,
    }
    let (mut serde_lib, mut input, mut output) =
        storage_classes(t.stored_as.as_deref().unwrap_or("textfile"))?;
    let custom;
    if let Some((i, o)) = &t.input_output {
        custom = (i.clone(), o.clone());
        input = &custom.0;
        output = &custom.1;
    }
    let explicit_serde = t.serde.clone();
    if let Some(s) = &explicit_serde {
        serde_lib = s;
    }
    let mut parameters: std::collections::BTreeMap<String, String> =
        t.properties.into_iter().collect();
    if let Some(c) = t.comment {
        parameters.insert("comment".into(), c);
    }
    let table_type = if t.external {
        parameters.insert("EXTERNAL".into(), "TRUE".into());
        table_type::EXTERNAL
    } else {
        table_type::MANAGED
    };
    let table = Table {
        db_name: db.clone(),
        name: t.name.1.clone(),
        owner: Some(env.user.name.clone()),
        sd: StorageDescriptor {
            columns: t
                .columns
                .into_iter()
                .map(hive_column)
                .collect::<Result<_>>()?,
            location: t.location,
            input_format: Some(input.to_string()),
            output_format: Some(output.to_string()),
            num_buckets: -1,
            serde: SerDe {
                serialization_lib: Some(serde_lib.to_string()),
                parameters: t.serde_properties.into_iter().collect(),
                ..Default::default()
            },
            ..Default::default()
        },
        partition_keys: t
            .partitioned_by
            .into_iter()
            .map(hive_column)
            .collect::<Result<_>>()?,
        parameters,
        table_type: table_type.to_string(),
        ..Default::default()
    };
    match env.catalog.create_table(table).await {
        Err(metastore::Error::AlreadyExists(_)) if t.if_not_exists => {}
        other => other?,
    }
    env.cache.invalidate(&db);
    if t.constraints.is_empty() {
        return done("CREATE TABLE");
    }
    Ok(Output::Noted {
        tag: "CREATE TABLE".into(),
        notice: format!(
            "constraints are neither kept nor enforced (Hive tables have none): {}",
            t.constraints.join(", ")
        ),
    })
}

/// `CREATE INDEX`: the table and its columns must exist, but no index is built or kept;
/// queries read the table's files (pruned by partitions and file statistics) either way.
pub(super) async fn create_index(
    env: &Env<'_>,
    name: Option<String>,
    table: &Name,
    columns: &[String],
) -> Result<Output> {
    let t = env.table(table, true).await?;
    if t.table_type == table_type::VIEW {
        return Err(Error::WrongObjectType(format!(
            "{}.{} is a view: views have no indexes",
            t.db_name, t.name
        )));
    }
    let known = t.sd.columns.iter().chain(&t.partition_keys);
    if let Some(missing) = columns
        .iter()
        .find(|c| !known.clone().any(|k| k.name.eq_ignore_ascii_case(c)))
    {
        return Err(Error::UndefinedColumn(format!(
            "column \"{missing}\" does not exist in {}.{}",
            t.db_name, t.name
        )));
    }
    let name = name.map(|n| format!(" \"{n}\"")).unwrap_or_default();
    Ok(Output::Noted {
        tag: "CREATE INDEX".into(),
        notice: format!(
            "Lakehive keeps no indexes: index{name} on {}.{} was not created",
            t.db_name, t.name
        ),
    })
}

pub(super) async fn drop_table(env: &Env<'_>, name: &Name, if_exists: bool) -> Result<Output> {
    let db = env.db_of(name);
    env.user.check(&db, true)?;
    if let Ok(t) = env.catalog.get_table(&db, &name.1).await {
        if t.table_type == table_type::VIEW {
            return Err(Error::WrongObjectType(format!(
                "\"{db}.{}\" is a view: use DROP VIEW",
                name.1
            )));
        }
    }
    match env.catalog.drop_table(&db, &name.1, true).await {
        Err(metastore::Error::NotFound(_)) if if_exists => {}
        other => other?,
    }
    env.cache.invalidate(&db);
    done("DROP TABLE")
}

/// A spec's values in the table's key order; every key must be given once.
pub(super) fn ordered_values(t: &Table, spec: &[(String, String)]) -> Result<Vec<String>> {
    if spec.len() != t.partition_keys.len() {
        return Err(Error::InvalidInput(format!(
            "a partition of {}.{} needs a value for each of its keys ({})",
            t.db_name,
            t.name,
            t.partition_keys
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    t.partition_keys
        .iter()
        .map(|k| {
            spec.iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&k.name))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    Error::InvalidInput(format!("no value for partition key {}", k.name))
                })
        })
        .collect()
}

pub(super) async fn add_partitions(
    env: &Env<'_>,
    name: &Name,
    if_not_exists: bool,
    specs: Vec<PartSpec>,
) -> Result<Output> {
    let t = env.table(name, true).await?;
    let base = t.sd.location.clone().unwrap_or_default();
    let mut parts = Vec::with_capacity(specs.len());
    for (spec, location) in specs {
        let values = ordered_values(&t, &spec)?;
        let location = match location {
            Some(l) => {
                env.check_location(&l).await?;
                l
            }
            None => format!(
                "{}/{}",
                base.trim_end_matches('/'),
                t.partition_name(&values)?
            ),
        };
        let mut sd = t.sd.clone();
        sd.location = Some(location);
        parts.push(Partition {
            db_name: t.db_name.clone(),
            table_name: t.name.clone(),
            values,
            sd,
            ..Default::default()
        });
    }
    env.catalog
        .add_partitions(&t.db_name, &t.name, parts, if_not_exists)
        .await?;
    done("ALTER TABLE")
}

pub(super) async fn drop_partitions(
    env: &Env<'_>,
    name: &Name,
    if_exists: bool,
    specs: Vec<Vec<(String, String)>>,
) -> Result<Output> {
    let t = env.table(name, true).await?;
    let values = specs
        .iter()
        .map(|s| ordered_values(&t, s))
        .collect::<Result<Vec<_>>>()?;
    env.catalog
        .drop_partitions(&t.db_name, &t.name, &values, true, if_exists)
        .await?;
    done("ALTER TABLE")
}

pub(super) async fn msck(env: &Env<'_>, name: &Name, mode: MsckMode) -> Result<Output> {
    let t = env.table(name, true).await?;
    let n = repair(env, &t, mode).await?;
    Ok(Output::Done(format!("MSCK REPAIR TABLE {n}")))
}

/// Brings the table's partitions in line with its folders; returns how many changed.
pub(super) async fn repair(env: &Env<'_>, t: &Table, mode: MsckMode) -> Result<usize> {
    let loc = Location::parse(t.sd.location.as_deref().unwrap_or(""))?;
    let store = env.ctx.runtime_env().object_store(&loc.store)?;
    let opts = crawler::RepairOptions {
        mode: match mode {
            MsckMode::Add => crawler::RepairMode::Add,
            MsckMode::Drop => crawler::RepairMode::Drop,
            MsckMode::Sync => crawler::RepairMode::Sync,
        },
        // As Athena: folders that are not `key=value` for the table's keys are skipped.
        validation: crawler::PathValidation::Skip,
        ..Default::default()
    };
    let report = crawler::repair_table(
        env.catalog.as_ref(),
        store.as_ref(),
        &loc.path,
        &t.db_name,
        &t.name,
        &opts,
    )
    .await?;
    Ok(report.added.len() + report.dropped.len())
}

/// `SET search_path` (see `search_path::choose`): an error for a path naming a database
/// that does not exist or that the user may not read.
pub(super) async fn set_schema(env: &Env<'_>, names: &[String]) -> Result<Output> {
    let db = crate::search_path::choose(env.catalog.as_ref(), env.user, names).await?;
    crate::search_path::apply(env.ctx, &db);
    done("SET")
}
