//! Hive/Athena statements run against the catalog: SHOW, DESCRIBE, DDL, MSCK, CTAS and
//! INSERT. `parse` recognises them; `run` executes one for a session.

mod alter;
mod cursor;
mod ddl;
mod orc_write;
pub(crate) mod parse;
mod places;
mod show;
mod sink;
mod views;
mod write;

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ParamValues;
use datafusion::prelude::{DataFrame, SessionContext};
use metastore::model::Table;
use metastore::Catalog;

use crate::catalog_provider::MetaCache;
use crate::error::{Error, Result};
use crate::users::User;
pub(crate) use parse::{parse, Statement};

/// What running a statement produced.
#[derive(Debug)]
pub(crate) enum Output {
    /// Rows to send.
    Rows(RecordBatch),
    /// A command tag (`CREATE TABLE`, `INSERT 0 5`).
    Done(String),
    /// A command tag and a notice to send before it: what the statement did not do.
    Noted { tag: String, notice: String },
}

/// Everything a statement runs with.
pub(crate) struct Env<'a> {
    /// The catalog.
    pub catalog: &'a Arc<dyn Catalog>,
    /// The session's DataFusion context (queries, object stores).
    pub ctx: &'a SessionContext,
    /// Cache to invalidate after DDL.
    pub cache: &'a MetaCache,
    /// Who is asking.
    pub user: &'a User,
    /// The values bound to `$n` placeholders (extended protocol), for the query part of
    /// INSERT and CTAS.
    pub params: &'a ParamValues,
}

impl Env<'_> {
    /// The query `sql` as a DataFrame, with the bound parameters in place.
    async fn query(&self, sql: &str) -> Result<DataFrame> {
        // The tables it reads must be the user's to read, as for any query they send.
        crate::session::check_df_statement(self.user, self.ctx, sql)?;
        let df = self
            .ctx
            .sql_with_options(sql, crate::queries_only())
            .await?;
        Ok(match self.params {
            ParamValues::List(v) if v.is_empty() => df,
            params => df.with_param_values(params.clone())?,
        })
    }

    /// The session's current schema (catalog database).
    fn default_db(&self) -> String {
        self.ctx
            .state()
            .config()
            .options()
            .catalog
            .default_schema
            .clone()
    }

    /// The database a possibly unqualified name lives in.
    fn db_of(&self, name: &parse::Name) -> String {
        name.0.clone().unwrap_or_else(|| self.default_db())
    }

    /// Fetches a table (in Hive form, see `spark_tables`) after checking the user may use
    /// its database. Never written back: Spark keeps its own form.
    async fn table(&self, name: &parse::Name, write: bool) -> Result<Table> {
        let db = self.db_of(name);
        self.user.check(&db, write)?;
        let table = self.catalog.get_table(&db, &name.1).await?;
        Ok(crate::spark_tables::as_hive(table))
    }
}

/// Runs a gateway statement.
pub(crate) async fn run(env: &Env<'_>, stmt: Statement) -> Result<Output> {
    if stmt.writes() {
        env.user.check_writes()?;
    }
    match stmt {
        Statement::ShowDatabases { like } => show::databases(env, like).await,
        Statement::ShowTables { db, like } => show::tables(env, db, like).await,
        Statement::ShowPartitions { table } => show::partitions(env, &table).await,
        Statement::ShowCreateTable { table } => show::create_table(env, &table).await,
        Statement::ShowTblProperties { table, key } => show::properties(env, &table, key).await,
        Statement::ShowColumns { table } => show::columns(env, &table).await,
        Statement::Describe { table, formatted } => show::describe(env, &table, formatted).await,
        Statement::CreateDatabase {
            name,
            if_not_exists,
            comment,
            location,
            properties,
        } => ddl::create_database(env, name, if_not_exists, comment, location, properties).await,
        Statement::DropDatabase {
            name,
            if_exists,
            cascade,
        } => ddl::drop_database(env, &name, if_exists, cascade).await,
        Statement::CreateTable(t) => ddl::create_table(env, *t).await,
        Statement::AlterTable {
            table,
            change,
            cascade,
            notes,
        } => alter::alter_table(env, &table, change, cascade, notes).await,
        Statement::CreateView {
            name,
            or_replace,
            if_not_exists,
            columns,
            query,
        } => views::create(env, &name, or_replace, if_not_exists, columns, &query).await,
        Statement::DropView { name, if_exists } => views::drop(env, &name, if_exists).await,
        Statement::CreateIndex {
            name,
            table,
            columns,
        } => ddl::create_index(env, name, &table, &columns).await,
        Statement::DropTable { table, if_exists } => ddl::drop_table(env, &table, if_exists).await,
        Statement::AddPartitions {
            table,
            if_not_exists,
            parts,
        } => ddl::add_partitions(env, &table, if_not_exists, parts).await,
        Statement::DropPartitions {
            table,
            if_exists,
            parts,
        } => ddl::drop_partitions(env, &table, if_exists, parts).await,
        Statement::Msck { table, mode } => ddl::msck(env, &table, mode).await,
        Statement::Ctas {
            table,
            if_not_exists,
            options,
            query,
        } => write::ctas(env, &table, if_not_exists, options, &query).await,
        Statement::Insert {
            table,
            columns,
            query,
        } => write::insert(env, &table, columns.as_deref(), &query).await,
        Statement::Accept(tag) => Ok(Output::Done(tag.to_string())),
        Statement::SetSchema(names) => ddl::set_schema(env, &names).await,
        Statement::ShowSearchPath => text_rows(&["search_path"], vec![vec![env.default_db()]]),
        Statement::ShowSetting(name) => {
            let value = parse::SETTINGS
                .iter()
                .find(|(s, _)| *s == name)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            text_rows(&[name], vec![vec![value]])
        }
    }
}

fn utf8_schema(names: &[&str]) -> SchemaRef {
    Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

/// The columns a statement returns, known before it runs (for Describe in the extended
/// protocol). Statements without rows return an empty schema.
pub(crate) fn result_schema(stmt: &Statement) -> SchemaRef {
    match stmt {
        Statement::ShowDatabases { .. } => utf8_schema(&["database_name"]),
        Statement::ShowTables { .. } => utf8_schema(&["tab_name"]),
        Statement::ShowPartitions { .. } => utf8_schema(&["partition"]),
        Statement::ShowCreateTable { .. } => utf8_schema(&["createtab_stmt"]),
        Statement::ShowTblProperties { .. } => utf8_schema(&["prpt_name", "prpt_value"]),
        Statement::ShowColumns { .. } => utf8_schema(&["field"]),
        Statement::Describe { .. } => utf8_schema(&["col_name", "data_type", "comment"]),
        Statement::ShowSetting(name) => utf8_schema(&[name]),
        Statement::ShowSearchPath => utf8_schema(&["search_path"]),
        _ => Arc::new(Schema::empty()),
    }
}

/// Builds a result of text columns.
fn text_rows(names: &[&str], rows: Vec<Vec<String>>) -> Result<Output> {
    use datafusion::arrow::array::{ArrayRef, StringArray};
    let schema = utf8_schema(names);
    let columns: Vec<ArrayRef> = (0..names.len())
        .map(|i| {
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r[i].as_str()),
            )) as ArrayRef
        })
        .collect();
    RecordBatch::try_new(schema, columns)
        .map(Output::Rows)
        .map_err(|e| Error::DataFusion(e.into()))
}
