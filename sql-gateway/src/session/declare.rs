//! `DECLARE name CURSOR FOR <query>` in the extended protocol, run by the session rather
//! than datafusion-postgres, for two reasons. psycopg's server-side cursors ask for the
//! cursor's columns with a Describe of its portal and decode every later `FETCH` with them:
//! datafusion-postgres keeps no plan with the cursor, so the answer was "no columns" and
//! psycopg's C extension crashed on the first row. And the query goes through the same
//! planning as any other (client rewrites, map columns as text). `FETCH` and `CLOSE` stay
//! datafusion-postgres's: they work on any portal in the store.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::sqlparser::ast::{Declare, DeclareType, Statement as SqlStatement};
use datafusion_postgres::pgwire::api::portal::Portal;
use datafusion_postgres::pgwire::api::results::{Response, Tag};
use datafusion_postgres::pgwire::api::stmt::StoredStatement;
use datafusion_postgres::pgwire::api::store::PortalStore;
use datafusion_postgres::pgwire::api::{ClientInfo, ClientPortalStore};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};

use super::{bound_params, finish_rows, DfStatement, Session};
use crate::cancel::CancelState;

impl Session {
    /// Opens the cursors of a `DECLARE`, or `None` when datafusion-postgres should handle
    /// it (not a plain cursor over a query that plans; it reports the error).
    pub(super) async fn declare<C>(
        &self,
        client: &mut C,
        declares: &[Declare],
        bound: &Portal<DfStatement>,
        cancel: &Arc<CancelState>,
    ) -> Option<PgWireResult<Response>>
    where
        C: ClientInfo + ClientPortalStore + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = DfStatement>,
    {
        let mut portals = Vec::with_capacity(declares.len());
        for declare in declares {
            let ([name], Some(DeclareType::Cursor), Some(query)) = (
                declare.names.as_slice(),
                declare.declare_type.as_ref(),
                declare.for_query.as_ref(),
            ) else {
                return None;
            };
            let sql = query.to_string();
            let plan = self.planned_query(client, &sql).await?;
            let opened = client.portal_store().get_portal(&name.value).is_some();
            let plan = match (opened, bind(plan, bound)) {
                (true, _) => return Some(Err(already_open(&name.value))),
                (false, Ok(plan)) => plan,
                (false, Err(e)) => return Some(Err(e)),
            };
            let statement = (
                sql,
                Some((SqlStatement::Query(query.clone()), plan.clone())),
            );
            let stored = StoredStatement::new(name.value.clone(), statement, vec![]);
            portals.push((
                Portal::new_cursor(name.value.clone(), Arc::new(stored)),
                plan,
            ));
        }
        for (portal, plan) in portals {
            let rows = match self.rows_of(client, plan).await {
                Ok(rows) => rows,
                Err(e) => return Some(Err(e)),
            };
            portal.start(finish_rows(rows, cancel)).await;
            client.portal_store().put_portal(Arc::new(portal));
        }
        Some(Ok(Response::Execution(Tag::new("DECLARE CURSOR"))))
    }
}

/// `plan` with the values bound to the DECLARE, typed as the plan expects where the client
/// sent no type.
fn bind(plan: LogicalPlan, bound: &Portal<DfStatement>) -> PgWireResult<LogicalPlan> {
    let api = |e| PgWireError::ApiError(Box::new(e));
    let types = plan.get_parameter_types().map_err(api)?;
    let inferred: Vec<Option<DataType>> = (1..=bound.parameter_len())
        .map(|i| types.get(&format!("${i}")).cloned().flatten())
        .collect();
    plan.with_param_values(bound_params(bound, &inferred)?)
        .map_err(api)
}

/// PostgreSQL's error for a second cursor of one name (42P03).
fn already_open(name: &str) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "42P03".into(),
        format!("cursor \"{name}\" already exists"),
    )))
}
