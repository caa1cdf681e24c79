//! `ALTER TABLE` changes to a table's definition. Only the catalog changes: files are never
//! rewritten, so as in Hive and Athena a new column reads as NULL from older files, and a
//! changed type must be one the old values can be read as.

use datafusion::arrow::compute::can_cast_types;
use metastore::model::{AlterTableOptions, Table};

use super::ddl::{done, hive_column, ordered_values};
use super::parse::{Name, Position, TableChange};
use super::{Env, Output};
use crate::error::{Error, Result};
use crate::hive_types::to_arrow;
use crate::storage::Location;

/// Runs `ALTER TABLE name <change> [CASCADE]`.
pub(super) async fn alter_table(
    env: &Env<'_>,
    name: &Name,
    change: TableChange,
    cascade: bool,
) -> Result<Output> {
    let db = env.db_of(name);
    env.user.check(&db, true)?;
    if let TableChange::PartitionLocation { spec, location } = change {
        return partition_location(env, name, &spec, location).await;
    }
    // The stored form, not the gateway's reading of it: this is what is written back.
    let mut table = env.catalog.get_table(&db, &name.1).await?;
    let metadata_only = matches!(
        change,
        TableChange::SetProperties(_) | TableChange::UnsetProperties { .. }
    );
    // Spark keeps a data-source table's schema and path in its own properties (a Hive
    // table it made says `hive` here and follows the Hive columns).
    let provider = table.parameters.get("spark.sql.sources.provider");
    if !metadata_only && provider.is_some_and(|p| !p.eq_ignore_ascii_case("hive")) {
        return Err(Error::Unsupported(format!(
            "{db}.{} is a Spark data-source table, whose schema and path Spark keeps in its own \
             properties: change it through Spark",
            name.1
        )));
    }
    let mut renamed_into = None;
    match change {
        TableChange::AddColumns {
            columns,
            if_not_exists,
        } => {
            for c in columns {
                if if_not_exists && find(&table, &c.name).is_ok() {
                    continue;
                }
                check_new_name(&table, &c.name)?;
                table.sd.columns.push(hive_column(c)?);
            }
        }
        TableChange::ReplaceColumns(columns) => {
            let columns = columns
                .into_iter()
                .map(hive_column)
                .collect::<Result<Vec<_>>>()?;
            table.sd.columns.clear();
            for c in columns {
                check_new_name(&table, &c.name)?;
                table.sd.columns.push(c);
            }
        }
        TableChange::ChangeColumn {
            old,
            new,
            type_name,
            comment,
            position,
        } => change_column(&mut table, &old, &new, type_name, comment, position)?,
        TableChange::DropColumn { name, if_exists } => match find(&table, &name) {
            Ok(i) if table.sd.columns.len() == 1 => {
                return Err(Error::InvalidInput(format!(
                    "cannot drop \"{}\", the only data column",
                    table.sd.columns[i].name
                )))
            }
            Ok(i) => {
                table.sd.columns.remove(i);
            }
            Err(_) if if_exists => return done("ALTER TABLE"),
            Err(e) => return Err(e),
        },
        TableChange::RenameTo((new_db, new_name)) => {
            let new_db = new_db.unwrap_or_else(|| db.clone());
            env.user.check(&new_db, true)?;
            table.db_name = new_db.clone();
            table.name = new_name;
            renamed_into = Some(new_db);
        }
        TableChange::SetProperties(pairs) => table.parameters.extend(pairs),
        TableChange::UnsetProperties { keys, if_exists } => {
            for k in keys {
                if table.parameters.remove(&k).is_none() && !if_exists {
                    return Err(Error::InvalidInput(format!(
                        "table property \"{k}\" is not set (use UNSET TBLPROPERTIES IF EXISTS)"
                    )));
                }
            }
        }
        TableChange::SetLocation(location) => {
            Location::parse(&location)?;
            table.sd.location = Some(location);
        }
        TableChange::PartitionLocation { .. } => unreachable!("handled above"),
    }
    let opts = AlterTableOptions {
        cascade,
        ..Default::default()
    };
    env.catalog.alter_table(&db, &name.1, table, &opts).await?;
    env.cache.invalidate(&db);
    if let Some(other) = renamed_into {
        env.cache.invalidate(&other);
    }
    done("ALTER TABLE")
}

/// The index of data column `name` (any case).
fn find(table: &Table, name: &str) -> Result<usize> {
    table
        .sd
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Error::UndefinedColumn(format!(
                "column \"{name}\" of {}.{} does not exist",
                table.db_name, table.name
            ))
        })
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

/// Hive's `CHANGE COLUMN` (and PostgreSQL's `RENAME COLUMN` / `ALTER COLUMN ... TYPE`). A
/// refused change leaves `table` as it was.
fn change_column(
    table: &mut Table,
    old: &str,
    new: &str,
    type_name: Option<String>,
    comment: Option<String>,
    position: Option<Position>,
) -> Result<()> {
    let mut changed = table.clone();
    let i = find(&changed, old)?;
    let mut column = changed.sd.columns.remove(i);
    check_new_name(&changed, new)?;
    if let Some(t) = type_name {
        let (from, to) = (to_arrow(&column.type_name)?, to_arrow(&t)?);
        if !can_cast_types(&from, &to) {
            return Err(Error::InvalidInput(format!(
                "column \"{old}\" cannot change from {} to {t}: the values already written \
                 could not be read as the new type",
                column.type_name
            )));
        }
        column.type_name = t;
    }
    column.name = new.to_string();
    if comment.is_some() {
        column.comment = comment;
    }
    let at = match position {
        None => i,
        Some(Position::First) => 0,
        Some(Position::After(after)) => find(&changed, &after)? + 1,
    };
    changed.sd.columns.insert(at, column);
    *table = changed;
    Ok(())
}

/// `ALTER TABLE t PARTITION (...) SET LOCATION '...'`.
async fn partition_location(
    env: &Env<'_>,
    name: &Name,
    spec: &[(String, String)],
    location: String,
) -> Result<Output> {
    Location::parse(&location)?;
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
mod tests {
    use super::*;
    use metastore::model::Column;

    fn table() -> Table {
        let col = |n: &str, t: &str| Column {
            name: n.into(),
            type_name: t.into(),
            comment: None,
        };
        let mut t = Table {
            db_name: "d".into(),
            name: "t".into(),
            partition_keys: vec![col("dt", "string")],
            ..Default::default()
        };
        t.sd.columns = vec![col("a", "int"), col("b", "string"), col("c", "double")];
        t
    }

    fn names(t: &Table) -> Vec<&str> {
        t.sd.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn change_column_renames_retypes_and_moves() {
        let mut t = table();
        change_column(&mut t, "A", "id", Some("bigint".into()), None, None).unwrap();
        assert_eq!(names(&t), ["id", "b", "c"]);
        assert_eq!(t.sd.columns[0].type_name, "bigint");
        change_column(
            &mut t,
            "c",
            "c",
            None,
            Some("x".into()),
            Some(Position::First),
        )
        .unwrap();
        assert_eq!(names(&t), ["c", "id", "b"]);
        assert_eq!(t.sd.columns[0].comment.as_deref(), Some("x"));
        let after = Some(Position::After("b".into()));
        change_column(&mut t, "c", "c", None, None, after).unwrap();
        assert_eq!(names(&t), ["id", "b", "c"]);
    }

    #[test]
    fn change_column_refuses_clashes_and_unreadable_types() {
        let mut t = table();
        let clash = change_column(&mut t, "a", "dt", None, None, None);
        assert!(matches!(clash, Err(Error::DuplicateColumn(_))), "{clash:?}");
        let missing = change_column(&mut t, "nope", "x", None, None, None);
        assert!(
            matches!(missing, Err(Error::UndefinedColumn(_))),
            "{missing:?}"
        );
        let unreadable = change_column(&mut t, "a", "a", Some("map<int,int>".into()), None, None);
        assert!(
            matches!(unreadable, Err(Error::InvalidInput(_))),
            "{unreadable:?}"
        );
        assert_eq!(t, table(), "a refused change leaves the table as it was");
    }
}
