//! Catalog views (`VIRTUAL_VIEW`), made by the gateway's `CREATE VIEW`, by Spark or by Hive.
//!
//! A view is its SQL text and its columns. The text is planned when a query scans the view,
//! with that query's session, so the tables it names resolve through the catalog as they are
//! now. The query's filters are applied on top of the view's plan before it is optimized, so
//! they reach the view's own scans (partition pruning through a view). The text is read as
//! PostgreSQL (what the gateway stores), else as Hive SQL (Spark and Hive write backquoted
//! names). Trino keeps its views in an encoded form of its own, which is refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::config::Dialect;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{plan_err, Column};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::SessionState;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    cast, Expr, LogicalPlan, LogicalPlanBuilder, TableProviderFilterPushDown,
};
use datafusion::physical_plan::ExecutionPlan;
use metastore::model::Table;

use crate::error::{Error, Result};
use crate::hive_types::to_field;

/// How errors from a view's own query are introduced (`error.rs` keeps this context).
pub(crate) const VIEW_CONTEXT: &str = "in view ";

/// How deep views may be nested. Each level plans inside the one above it, on one thread's
/// stack; a debug build overflowed it between 16 and 32 levels.
const MAX_DEPTH: usize = 10;
/// How many views one statement may expand in all: views that each read an inner view
/// several times would otherwise multiply into millions of plans.
const MAX_EXPANSIONS: usize = 256;

/// The views the planning of one statement is inside.
#[derive(Clone, Default)]
struct Planning {
    /// Outermost first.
    chain: Vec<String>,
    /// Views expanded so far by the whole statement.
    expansions: Arc<AtomicUsize>,
}

tokio::task_local! {
    /// Set while a view's plan is planned (on the task planning the statement).
    static PLANNING: Planning;
}

/// A catalog view as a DataFusion table.
#[derive(Debug)]
pub(crate) struct HiveView {
    /// `db.name`, for messages.
    name: String,
    /// Why the view cannot be read, reported when a query reads it (not when catalogs are
    /// listed, which must not fail for one view).
    problem: Option<String>,
    sql: String,
    /// Where the view's unqualified table names resolve: the current database of whoever
    /// made it.
    database: String,
    schema: SchemaRef,
}

/// Where Spark records the current database of a view's creator (`...part.0` is its
/// catalog); the gateway writes the same for its own views (`athena::views`).
pub(crate) const VIEW_DATABASE: &str = "view.catalogAndNamespace.part.1";

impl HiveView {
    /// Wraps a `VIRTUAL_VIEW` from the catalog; one that cannot be read fails when scanned.
    pub(crate) fn new(table: &Table) -> Self {
        let name = format!("{}.{}", table.db_name, table.name);
        let sql = table
            .view_expanded_text
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .or(table.view_original_text.as_deref())
            .unwrap_or_default()
            .to_string();
        let database = table
            .parameters
            .get(VIEW_DATABASE)
            .unwrap_or(&table.db_name)
            .clone();
        let fields = table
            .sd
            .columns
            .iter()
            .map(to_field)
            .collect::<Result<Vec<_>>>();
        let problem = if sql.trim_start().starts_with("/* Presto View") {
            Some(format!(
                "{name} is a Trino/Presto view, stored in Trino's own encoding"
            ))
        } else {
            fields.as_ref().err().map(|e| format!("view {name}: {e}"))
        };
        HiveView {
            name,
            problem,
            sql,
            database,
            schema: Arc::new(Schema::new(fields.unwrap_or_default())),
        }
    }

    /// The view's query, under the view's column names and types, with the scan's filters,
    /// projection and limit on top.
    async fn plan(
        &self,
        state: &SessionState,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<LogicalPlan> {
        let mut state = state.clone();
        state.config_mut().options_mut().catalog.default_schema = self.database.clone();
        let statement = state
            .sql_to_statement(&self.sql, &Dialect::PostgreSQL)
            .or_else(|_| state.sql_to_statement(&self.sql, &Dialect::Hive))?;
        let query = state.statement_to_plan(statement).await?;
        // Only a query: a view's text comes from the catalog, which other engines write too.
        crate::queries_only().verify_plan(&query)?;
        let columns = query.schema().columns();
        if columns.len() != self.schema.fields().len() {
            return plan_err!(
                "view {} returns {} columns but is declared with {}: recreate it",
                self.name,
                columns.len(),
                self.schema.fields().len()
            );
        }
        let renamed = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| cast(Expr::Column(c), f.data_type().clone()).alias(f.name()));
        let mut plan = LogicalPlanBuilder::from(query).project(renamed)?;
        let filters = filters
            .iter()
            .map(unqualified)
            .collect::<DfResult<Vec<_>>>()?;
        if let Some(filter) = conjunction(filters) {
            plan = plan.filter(filter)?;
        }
        if let Some(indices) = projection {
            let picked = indices
                .iter()
                .map(|i| Expr::Column(Column::new_unqualified(self.schema.field(*i).name())));
            plan = plan.project(picked)?;
        }
        if limit.is_some() {
            plan = plan.limit(0, limit)?;
        }
        plan.build()
    }
}

/// `expr` with its columns named without the view's qualifier.
fn unqualified(expr: &Expr) -> DfResult<Expr> {
    expr.clone()
        .transform(|e| {
            Ok(match e {
                Expr::Column(c) => Transformed::yes(Expr::Column(Column::new_unqualified(c.name))),
                other => Transformed::no(other),
            })
        })
        .map(|t| t.data)
}

#[async_trait]
impl TableProvider for HiveView {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn get_table_definition(&self) -> Option<&str> {
        Some(&self.sql)
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let Some(state) = state.as_any().downcast_ref::<SessionState>() else {
            return Err(DataFusionError::Internal(
                "views are planned with a SessionState".into(),
            ));
        };
        if let Some(problem) = &self.problem {
            return Err(DataFusionError::External(Box::new(Error::Unsupported(
                problem.clone(),
            ))));
        }
        let mut planning = PLANNING.try_with(Planning::clone).unwrap_or_default();
        if planning.chain.contains(&self.name) {
            return plan_err!(
                "view {} refers to itself (through {})",
                self.name,
                planning.chain.join(" -> ")
            );
        }
        if planning.chain.len() >= MAX_DEPTH {
            return plan_err!(
                "views are nested more than {MAX_DEPTH} deep at {}",
                self.name
            );
        }
        if planning.expansions.fetch_add(1, Ordering::Relaxed) >= MAX_EXPANSIONS {
            return plan_err!(
                "the statement expands more than {MAX_EXPANSIONS} views (at {})",
                self.name
            );
        }
        // Errors say which view they come from (views may nest).
        let context = || format!("{VIEW_CONTEXT}{}", self.name);
        let plan = self
            .plan(state, projection, filters, limit)
            .await
            .map_err(|e| e.context(context()))?;
        planning.chain.push(self.name.clone());
        PLANNING
            .scope(planning, state.create_physical_plan(&plan))
            .await
            .map_err(|e| e.context(context()))
    }
}
