//! `CREATE VIEW` and `DROP VIEW`: views live in the catalog as Hive `VIRTUAL_VIEW`s (their
//! SQL text and columns), so every session, Spark and Hive see them; `crate::view` reads them.

use metastore::model::{table_type, AlterTableOptions, Column, Params, StorageDescriptor, Table};

use super::ddl::done;
use super::parse::Name;
use super::{Env, Output};
use crate::error::{Error, Result};
use crate::hive_types::to_hive;
use crate::view::VIEW_DATABASE;

/// Plans `query` (so a view that cannot run is refused now) and stores it as a view.
pub(super) async fn create(
    env: &Env<'_>,
    name: &Name,
    or_replace: bool,
    if_not_exists: bool,
    names: Option<Vec<String>>,
    query: &str,
) -> Result<Output> {
    let db = env.db_of(name);
    env.user.check(&db, true)?;
    let existing = match env.catalog.get_table(&db, &name.1).await {
        Ok(t) => Some(t),
        Err(metastore::Error::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(t) = &existing {
        if t.table_type != table_type::VIEW {
            return Err(Error::WrongObjectType(format!(
                "\"{db}.{}\" is a table, not a view",
                name.1
            )));
        }
        if if_not_exists {
            return done("CREATE VIEW");
        }
    }
    let (columns, output) = columns(env, query, names).await?;
    let view = Table {
        db_name: db.clone(),
        name: name.1.clone(),
        owner: Some(env.user.name.clone()),
        sd: StorageDescriptor {
            columns,
            ..Default::default()
        },
        parameters: spark_view_properties(&env.default_db(), &output),
        view_original_text: Some(query.to_string()),
        view_expanded_text: Some(query.to_string()),
        table_type: table_type::VIEW.to_string(),
        ..Default::default()
    };
    match existing {
        Some(_) if or_replace => {
            let opts = AlterTableOptions::default();
            env.catalog.alter_table(&db, &name.1, view, &opts).await?;
        }
        _ => env.catalog.create_table(view).await?,
    }
    env.cache.invalidate(&db);
    done("CREATE VIEW")
}

/// What Spark records with a view: the database its names resolve in (which the gateway
/// reads too) and the query's output columns, which Spark maps to the view's columns.
fn spark_view_properties(db: &str, output: &[String]) -> Params {
    let mut p = Params::from([
        ("view.catalogAndNamespace.numParts".into(), "2".into()),
        (
            "view.catalogAndNamespace.part.0".into(),
            "spark_catalog".into(),
        ),
        (VIEW_DATABASE.into(), db.to_string()),
        ("view.query.out.numCols".into(), output.len().to_string()),
    ]);
    for (i, name) in output.iter().enumerate() {
        p.insert(format!("view.query.out.col.{i}"), name.clone());
    }
    p
}

/// The view's columns (the query's, under the given names if any) and the query's own
/// output names.
async fn columns(
    env: &Env<'_>,
    query: &str,
    names: Option<Vec<String>>,
) -> Result<(Vec<Column>, Vec<String>)> {
    let df = env.query(query).await?;
    let fields = df.schema().fields();
    let output = fields.iter().map(|f| f.name().clone()).collect();
    let names = match names {
        Some(n) if n.len() != fields.len() => {
            return Err(Error::InvalidInput(format!(
                "the view names {} columns but its query returns {}",
                n.len(),
                fields.len()
            )))
        }
        Some(n) => n,
        None => fields.iter().map(|f| f.name().to_lowercase()).collect(),
    };
    let mut out: Vec<Column> = Vec::with_capacity(names.len());
    for (name, field) in names.into_iter().zip(fields.iter()) {
        if out.iter().any(|c| c.name == name) {
            return Err(Error::DuplicateColumn(format!(
                "column \"{name}\" specified more than once"
            )));
        }
        out.push(Column {
            name,
            type_name: to_hive(field.data_type())?,
            comment: None,
        });
    }
    Ok((out, output))
}

pub(super) async fn drop(env: &Env<'_>, name: &Name, if_exists: bool) -> Result<Output> {
    let db = env.db_of(name);
    env.user.check(&db, true)?;
    match env.catalog.get_table(&db, &name.1).await {
        Ok(t) if t.table_type != table_type::VIEW => {
            return Err(Error::WrongObjectType(format!(
                "\"{db}.{}\" is not a view: use DROP TABLE",
                name.1
            )))
        }
        Ok(_) => env.catalog.drop_table(&db, &name.1, false).await?,
        Err(metastore::Error::NotFound(_)) if if_exists => {}
        Err(e) => return Err(e.into()),
    }
    env.cache.invalidate(&db);
    done("DROP VIEW")
}
