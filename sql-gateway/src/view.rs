//! Catalog views (`VIRTUAL_VIEW`), made by the gateway's `CREATE VIEW`, by Spark or by Hive.
//!
//! A view is its SQL text and its columns. The text is planned when a query scans the view,
//! with that query's session, so the tables it names resolve through the catalog as they are
//! now. The query's filters are applied on top of the view's plan before it is optimized, so
//! they reach the view's own scans (partition pruning through a view). The text is read as
//! PostgreSQL (what the gateway stores), else as Hive SQL (Spark and Hive write backquoted
//! names). Trino keeps its views in an encoded form of its own, which is refused.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
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
use crate::hive_types::to_arrow;

/// How deep views may be nested. Each level plans inside the one above it, on one thread's
/// stack; a debug build overflowed it between 16 and 32 levels.
const MAX_DEPTH: usize = 10;

tokio::task_local! {
    /// The views the planning in this task is inside, outermost first.
    static CHAIN: Vec<String>;
}

/// A catalog view as a DataFusion table.
#[derive(Debug)]
pub(crate) struct HiveView {
    /// `db.name`, for messages.
    name: String,
    sql: String,
    /// Where the view's unqualified table names resolve: the current database of whoever
    /// made it.
    database: String,
    schema: SchemaRef,
}

/// The table parameter the gateway records a view's creator's current database in.
pub(crate) const VIEW_DATABASE: &str = "lakehive.view.current_database";
/// Spark's record of the same (`view.catalogAndNamespace.part.0` is its catalog).
const SPARK_VIEW_DATABASE: &str = "view.catalogAndNamespace.part.1";

impl HiveView {
    /// Wraps a `VIRTUAL_VIEW` from the catalog.
    pub(crate) fn try_new(table: &Table) -> Result<Self> {
        let name = format!("{}.{}", table.db_name, table.name);
        let sql = table
            .view_expanded_text
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .or(table.view_original_text.as_deref())
            .unwrap_or_default()
            .to_string();
        if sql.trim_start().starts_with("/* Presto View") {
            return Err(Error::Unsupported(format!(
                "{name} is a Trino/Presto view, stored in Trino's own encoding"
            )));
        }
        let fields = table
            .sd
            .columns
            .iter()
            .map(|c| Ok(Field::new(&c.name, to_arrow(&c.type_name)?, true)))
            .collect::<Result<Vec<_>>>()?;
        let database = [VIEW_DATABASE, SPARK_VIEW_DATABASE]
            .iter()
            .find_map(|k| table.parameters.get(*k))
            .unwrap_or(&table.db_name)
            .clone();
        Ok(HiveView {
            name,
            sql,
            database,
            schema: Arc::new(Schema::new(fields)),
        })
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
        let mut chain = CHAIN.try_with(|c| c.clone()).unwrap_or_default();
        if chain.contains(&self.name) {
            return plan_err!(
                "view {} refers to itself (through {})",
                self.name,
                chain.join(" -> ")
            );
        }
        if chain.len() >= MAX_DEPTH {
            return plan_err!(
                "views are nested more than {MAX_DEPTH} deep at {}",
                self.name
            );
        }
        let plan = self.plan(state, projection, filters, limit).await?;
        chain.push(self.name.clone());
        CHAIN.scope(chain, state.create_physical_plan(&plan)).await
    }
}
