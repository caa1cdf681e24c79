//! `ALTER TABLE` changes to a table's definition. Only the catalog changes: files are never
//! rewritten, so as in Hive and Athena a new column reads as NULL from older files, and a
//! changed type must be one the old values widen to. Changes that would misread existing
//! files are refused: text files hold their fields by position, so a text table cannot drop
//! or move columns.

use metastore::model::{table_type, AlterTableOptions, Column, Table};

use super::ddl::{done, hive_column, ordered_values};
use super::parse::{ColumnDef, Name, Position, TableChange};
use super::{Env, Output};
use crate::error::{Error, Result};
use crate::format::TableFormat;
use crate::hive_types::{to_arrow, widens};
use crate::storage::Location;

/// Runs `ALTER TABLE name <change> [CASCADE]`; `notes` describes constraints given, which
/// are not kept.
pub(super) async fn alter_table(
    env: &Env<'_>,
    name: &Name,
    change: TableChange,
    cascade: bool,
    mut notes: Vec<String>,
) -> Result<Output> {
    let db = env.db_of(name);
    env.user.check(&db, true)?;
    if let TableChange::PartitionLocation { spec, location } = change {
        return partition_location(env, name, &spec, location).await;
    }
    if let TableChange::SetLocation(location) = &change {
        env.check_location(location).await?;
    }
    // The stored form, not the gateway's reading of it: this is what is written back.
    let mut table = env.catalog.get_table(&db, &name.1).await?;
    check_kind(&table, &change)?;
    let mut renamed_into = None;
    if let TableChange::RenameTo((new_db, new_name)) = &change {
        let new_db = new_db.clone().unwrap_or_else(|| db.clone());
        env.user.check(&new_db, true)?;
        // A managed table's folder moves to its new name in the new database.
        if table.table_type == table_type::MANAGED {
            env.check_default_location(&new_db, new_name).await?;
        }
        renamed_into = Some(new_db);
    }
    let unchanged = matches!(change, TableChange::Nothing);
    notes.extend(apply(&mut table, change, &db)?);
    if !unchanged {
        let opts = AlterTableOptions {
            cascade,
            ..Default::default()
        };
        env.catalog.alter_table(&db, &name.1, table, &opts).await?;
        env.cache.invalidate(&db);
        if let Some(other) = renamed_into {
            env.cache.invalidate(&other);
        }
    }
    if notes.is_empty() {
        return done("ALTER TABLE");
    }
    Ok(Output::Noted {
        tag: "ALTER TABLE".into(),
        notice: notes.join("; "),
    })
}

/// Refuses changes the kind of table cannot take: a view has only its query (and
/// properties); a Spark data-source table keeps its schema, path and format in Spark's own
/// properties, which the gateway does not rewrite.
fn check_kind(table: &Table, change: &TableChange) -> Result<()> {
    let name = format!("{}.{}", table.db_name, table.name);
    let metadata_only = matches!(
        change,
        TableChange::SetProperties(_) | TableChange::UnsetProperties { .. } | TableChange::Nothing
    );
    if table.table_type == table_type::VIEW
        && !metadata_only
        && !matches!(change, TableChange::RenameTo(_))
    {
        return Err(Error::WrongObjectType(format!(
            "{name} is a view: use CREATE OR REPLACE VIEW"
        )));
    }
    let provider = table.parameters.get("spark.sql.sources.provider");
    if !metadata_only && provider.is_some_and(|p| !p.eq_ignore_ascii_case("hive")) {
        return Err(Error::Unsupported(format!(
            "{name} is a Spark data-source table, whose schema and path Spark keeps in its own \
             properties: change it through Spark"
        )));
    }
    let keys: Vec<&String> = match change {
        TableChange::SetProperties(pairs) => pairs.iter().map(|(k, _)| k).collect(),
        TableChange::UnsetProperties { keys, .. } => keys.iter().collect(),
        _ => vec![],
    };
    // `view.*` says where a view's names resolve: changing it would bypass the check of the
    // tables a view reads when it is created.
    if let Some(k) = keys
        .iter()
        .find(|k| k.starts_with("spark.sql.") || k.starts_with("view."))
    {
        return Err(Error::Unsupported(format!(
            "table property \"{k}\" belongs to Spark's table or view bookkeeping: change it \
             through Spark, or recreate the view"
        )));
    }
    Ok(())
}

/// Applies `change` to `table` (of database `db`); returns a notice when the change has an
/// effect the user should know of. A refused change leaves `table` as it was.
fn apply(table: &mut Table, change: TableChange, db: &str) -> Result<Option<String>> {
    let mut changed = table.clone();
    let by_position = matches!(TableFormat::of(table), Ok(TableFormat::Text(_)));
    let mut notice = None;
    match change {
        TableChange::Nothing | TableChange::PartitionLocation { .. } => {}
        TableChange::AddColumns {
            columns,
            if_not_exists,
        } => {
            for c in columns {
                let taken = changed.sd.columns.iter().chain(&changed.partition_keys);
                if if_not_exists && taken.clone().any(|k| k.name.eq_ignore_ascii_case(&c.name)) {
                    continue;
                }
                check_new_name(&changed, &c.name)?;
                changed.sd.columns.push(hive_column(c)?);
            }
        }
        TableChange::ReplaceColumns(columns) => {
            replace_columns(&mut changed, columns, by_position)?
        }
        TableChange::ChangeColumn {
            old,
            new,
            type_name,
            comment,
            position,
        } => {
            if by_position && position.is_some() {
                return Err(moves_fields(&changed, "move a column"));
            }
            if !by_position && !old.eq_ignore_ascii_case(&new) {
                notice = Some(format!(
                    "{}.{} finds columns in its files by name: values written before as \
                     \"{old}\" read as NULL under \"{new}\"",
                    changed.db_name, changed.name
                ));
            }
            change_column(&mut changed, &old, &new, type_name, comment, position)?;
        }
        TableChange::DropColumn { name, if_exists } => match find(&changed, &name) {
            Ok(_) if by_position => return Err(moves_fields(&changed, "drop a column")),
            Ok(_) if changed.sd.columns.len() == 1 => {
                return Err(Error::Unsupported(format!(
                    "cannot drop \"{name}\", the only data column"
                )))
            }
            Ok(i) => {
                changed.sd.columns.remove(i);
            }
            Err(_) if if_exists => {}
            Err(e) => return Err(e),
        },
        TableChange::RenameTo((new_db, new_name)) => {
            changed.db_name = new_db.unwrap_or_else(|| db.to_string());
            changed.name = new_name;
        }
        TableChange::SetProperties(pairs) => changed.parameters.extend(pairs),
        TableChange::UnsetProperties { keys, if_exists } => {
            for k in keys {
                if changed.parameters.remove(&k).is_none() && !if_exists {
                    return Err(Error::InvalidInput(format!(
                        "table property \"{k}\" is not set (use UNSET TBLPROPERTIES IF EXISTS)"
                    )));
                }
            }
        }
        TableChange::SetLocation(location) => {
            Location::parse(&location)?;
            changed.sd.location = Some(location);
        }
    }
    *table = changed;
    Ok(notice)
}

/// The refusal for a text table asked to drop or move a column.
fn moves_fields(table: &Table, what: &str) -> Error {
    Error::Unsupported(format!(
        "cannot {what} of {}.{}: its text files hold fields by position, so every row \
         already written would be misread",
        table.db_name, table.name
    ))
}

/// Hive's `REPLACE COLUMNS`: a column kept under its name must widen to its new type; a text
/// table can only gain columns at the end.
fn replace_columns(table: &mut Table, columns: Vec<ColumnDef>, by_position: bool) -> Result<()> {
    let old = std::mem::take(&mut table.sd.columns);
    if by_position && columns.len() < old.len() {
        return Err(moves_fields(table, "drop columns"));
    }
    for c in columns.into_iter().map(hive_column) {
        let c = c?;
        if let Some(before) = old.iter().find(|o| o.name.eq_ignore_ascii_case(&c.name)) {
            check_widens(before, &c.type_name)?;
        }
        check_new_name(table, &c.name)?;
        table.sd.columns.push(c);
    }
    Ok(())
}

/// The index of data column `name` (any case); a partition column cannot change here.
fn find(table: &Table, name: &str) -> Result<usize> {
    if let Some(i) = table
        .sd
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))
    {
        return Ok(i);
    }
    if table
        .partition_keys
        .iter()
        .any(|k| k.name.eq_ignore_ascii_case(name))
    {
        return Err(Error::Unsupported(format!(
            "\"{name}\" is a partition column of {}.{}: its values are folder names",
            table.db_name, table.name
        )));
    }
    Err(Error::UndefinedColumn(format!(
        "column \"{name}\" of {}.{} does not exist",
        table.db_name, table.name
    )))
}

/// A column name must not be taken by a data or partition column.
fn check_new_name(table: &Table, name: &str) -> Result<()> {
    let taken = table.sd.columns.iter().chain(&table.partition_keys);
    if taken.clone().any(|c| c.name.eq_ignore_ascii_case(name)) {
        return Err(Error::DuplicateColumn(format!(
            "column \"{name}\" of {}.{} already exists",
            table.db_name, table.name
        )));
    }
    Ok(())
}

/// Values written as `column`'s type must read correctly as `to`.
fn check_widens(column: &Column, to: &str) -> Result<()> {
    if widens(&to_arrow(&column.type_name)?, &to_arrow(to)?) {
        return Ok(());
    }
    Err(Error::DatatypeMismatch(format!(
        "column \"{}\" cannot change from {} to {to}: the values already written would not \
         read as the new type (Hive allows only widening: a larger integer or decimal, float \
         to double, anything to string)",
        column.name, column.type_name
    )))
}

/// Hive's `CHANGE COLUMN` (and PostgreSQL's `RENAME COLUMN` / `ALTER COLUMN ... TYPE`) on a
/// copy of the table.
fn change_column(
    table: &mut Table,
    old: &str,
    new: &str,
    type_name: Option<String>,
    comment: Option<String>,
    position: Option<Position>,
) -> Result<()> {
    let i = find(table, old)?;
    let mut column = table.sd.columns.remove(i);
    check_new_name(table, new)?;
    if let Some(t) = type_name {
        check_widens(&column, &t)?;
        column.type_name = t;
    }
    column.name = new.to_string();
    if comment.is_some() {
        column.comment = comment;
    }
    let at = match position {
        None => i,
        Some(Position::First) => 0,
        Some(Position::After(after)) => find(table, &after)? + 1,
    };
    table.sd.columns.insert(at, column);
    Ok(())
}

/// `ALTER TABLE t PARTITION (...) SET LOCATION '...'`.
async fn partition_location(
    env: &Env<'_>,
    name: &Name,
    spec: &[(String, String)],
    location: String,
) -> Result<Output> {
    env.check_location(&location).await?;
    let t = env.table(name, true).await?;
    let values = ordered_values(&t, spec)?;
    let mut part = env
        .catalog
        .get_partition(&t.db_name, &t.name, &values)
        .await?;
    part.sd.location = Some(location);
    env.catalog
        .alter_partitions(&t.db_name, &t.name, vec![part])
        .await?;
    done("ALTER TABLE")
}

#[cfg(test)]
mod tests;
