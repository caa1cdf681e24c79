//! SHOW and DESCRIBE, answered from the catalog in Hive's layout.

use metastore::model::{PartitionQuery, Table};

use super::{parse::Name, text_rows, Env, Output};
use crate::error::{Error, Result};

pub(super) async fn databases(env: &Env<'_>, like: Option<String>) -> Result<Output> {
    let names = env.catalog.list_databases(like.as_deref()).await?;
    let rows = names
        .into_iter()
        .filter(|d| env.user.may_see(d))
        .map(|d| vec![d])
        .collect();
    text_rows(&["database_name"], rows)
}

pub(super) async fn tables(
    env: &Env<'_>,
    db: Option<String>,
    like: Option<String>,
) -> Result<Output> {
    let db = db.unwrap_or_else(|| env.default_db());
    env.user.check(&db, false)?;
    env.catalog.get_database(&db).await?;
    let names = env.catalog.list_tables(&db, like.as_deref(), None).await?;
    text_rows(&["tab_name"], names.into_iter().map(|t| vec![t]).collect())
}

pub(super) async fn partitions(env: &Env<'_>, name: &Name) -> Result<Output> {
    let t = env.table(name, false).await?;
    if t.partition_keys.is_empty() {
        return Err(Error::InvalidInput(format!(
            "table {}.{} is not partitioned",
            t.db_name, t.name
        )));
    }
    let names = env
        .catalog
        .list_partition_names(&t.db_name, &t.name, &PartitionQuery::All, None)
        .await?;
    text_rows(&["partition"], names.into_iter().map(|p| vec![p]).collect())
}

pub(super) async fn properties(env: &Env<'_>, name: &Name, key: Option<String>) -> Result<Output> {
    let t = env.table(name, false).await?;
    let rows = t
        .parameters
        .iter()
        .filter(|(k, _)| key.as_ref().is_none_or(|want| want == *k))
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    text_rows(&["prpt_name", "prpt_value"], rows)
}

pub(super) async fn columns(env: &Env<'_>, name: &Name) -> Result<Output> {
    let t = env.table(name, false).await?;
    let rows =
        t.sd.columns
            .iter()
            .chain(&t.partition_keys)
            .map(|c| vec![c.name.clone()])
            .collect();
    text_rows(&["field"], rows)
}

fn column_rows(cols: &[metastore::model::Column]) -> impl Iterator<Item = Vec<String>> + '_ {
    cols.iter().map(|c| {
        vec![
            c.name.clone(),
            c.type_name.clone(),
            c.comment.clone().unwrap_or_default(),
        ]
    })
}

fn row(a: &str, b: &str, c: &str) -> Vec<String> {
    vec![a.to_string(), b.to_string(), c.to_string()]
}

pub(super) async fn describe(env: &Env<'_>, name: &Name, formatted: bool) -> Result<Output> {
    let t = env.table(name, false).await?;
    let mut rows: Vec<Vec<String>> = column_rows(&t.sd.columns)
        .chain(column_rows(&t.partition_keys))
        .collect();
    if !t.partition_keys.is_empty() {
        rows.push(row("", "", ""));
        rows.push(row("# Partition Information", "", ""));
        rows.push(row("# col_name", "data_type", "comment"));
        rows.extend(column_rows(&t.partition_keys));
    }
    if formatted {
        detailed(&t, &mut rows);
    }
    text_rows(&["col_name", "data_type", "comment"], rows)
}

fn detailed(t: &Table, rows: &mut Vec<Vec<String>>) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    rows.push(row("", "", ""));
    rows.push(row("# Detailed Table Information", "", ""));
    rows.push(row("Database:", &t.db_name, ""));
    rows.push(row("Owner:", &opt(&t.owner), ""));
    rows.push(row("CreateTime:", &t.create_time.to_string(), ""));
    rows.push(row("Location:", &opt(&t.sd.location), ""));
    rows.push(row("Table Type:", &t.table_type, ""));
    rows.push(row("Table Parameters:", "", ""));
    for (k, v) in &t.parameters {
        rows.push(row("", k, v));
    }
    rows.push(row("", "", ""));
    rows.push(row("# Storage Information", "", ""));
    rows.push(row(
        "SerDe Library:",
        &opt(&t.sd.serde.serialization_lib),
        "",
    ));
    rows.push(row("InputFormat:", &opt(&t.sd.input_format), ""));
    rows.push(row("OutputFormat:", &opt(&t.sd.output_format), ""));
    if !t.sd.serde.parameters.is_empty() {
        rows.push(row("Storage Desc Params:", "", ""));
        for (k, v) in &t.sd.serde.parameters {
            rows.push(row("", k, v));
        }
    }
}

pub(super) async fn create_table(env: &Env<'_>, name: &Name) -> Result<Output> {
    let t = env.table(name, false).await?;
    let ddl = if t.table_type == metastore::model::table_type::VIEW {
        let text = t.view_original_text.as_deref().unwrap_or_default();
        format!("CREATE VIEW `{}`.`{}` AS {text}", t.db_name, t.name)
    } else {
        render_ddl(&t)
    };
    text_rows(&["createtab_stmt"], vec![vec![ddl]])
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "\\'"))
}

fn column_list(cols: &[metastore::model::Column]) -> String {
    cols.iter()
        .map(|c| match &c.comment {
            Some(cm) => format!("  `{}` {} COMMENT {}", c.name, c.type_name, quote(cm)),
            None => format!("  `{}` {}", c.name, c.type_name),
        })
        .collect::<Vec<_>>()
        .join(",\n")
}

fn pairs(p: &std::collections::BTreeMap<String, String>) -> String {
    p.iter()
        .map(|(k, v)| format!("  {}={}", quote(k), quote(v)))
        .collect::<Vec<_>>()
        .join(",\n")
}

/// Hive-style DDL that recreates the table.
fn render_ddl(t: &Table) -> String {
    let external = if t.owns_data() { "" } else { "EXTERNAL " };
    let mut s = format!(
        "CREATE {external}TABLE `{}`.`{}`(\n{})\n",
        t.db_name,
        t.name,
        column_list(&t.sd.columns)
    );
    if let Some(c) = t.parameters.get("comment") {
        s += &format!("COMMENT {}\n", quote(c));
    }
    if !t.partition_keys.is_empty() {
        s += &format!("PARTITIONED BY (\n{})\n", column_list(&t.partition_keys));
    }
    if let Some(serde) = &t.sd.serde.serialization_lib {
        s += &format!("ROW FORMAT SERDE\n  {}\n", quote(serde));
    }
    if !t.sd.serde.parameters.is_empty() {
        s += &format!(
            "WITH SERDEPROPERTIES (\n{})\n",
            pairs(&t.sd.serde.parameters)
        );
    }
    if let (Some(i), Some(o)) = (&t.sd.input_format, &t.sd.output_format) {
        s += &format!(
            "STORED AS INPUTFORMAT\n  {}\nOUTPUTFORMAT\n  {}\n",
            quote(i),
            quote(o)
        );
    }
    if let Some(l) = &t.sd.location {
        s += &format!("LOCATION\n  {}\n", quote(l));
    }
    if !t.parameters.is_empty() {
        s += &format!("TBLPROPERTIES (\n{})", pairs(&t.parameters));
    }
    s.trim_end().to_string()
}
