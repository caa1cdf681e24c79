//! `DECLARE name CURSOR FOR <query>` in the extended protocol, run by the session rather
//! than datafusion-postgres, for two reasons. psycopg's server-side cursors ask for the
//! cursor's columns with a Describe of its portal and decode every later `FETCH` with them:
//! datafusion-postgres keeps no plan with the cursor, so the answer was "no columns" and
//! psycopg's C extension crashed on the first row. And the query goes through the same
//! planning as any other (client rewrites, map columns as text). `FETCH` and `CLOSE` stay
//! datafusion-postgres's: they work on any portal in the store.

use std::sync::Arc;

use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::sqlparser::ast::{Declare, DeclareType, Statement as SqlStatement};
use datafusion_postgres::pgwire::api::portal::{Format, Portal};
use datafusion_postgres::pgwire::api::results::{QueryResponse, Response, Tag};
use datafusion_postgres::pgwire::api::stmt::StoredStatement;
use datafusion_postgres::pgwire::api::store::PortalStore;
use datafusion_postgres::pgwire::api::{ClientInfo, ClientPortalStore};
use datafusion_postgres::pgwire::error::{PgWireError, PgWireResult};

use super::{bound_params, encode, finish_rows, DfStatement, Session};
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
        let params = match bound_params(bound) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
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
            let plan = match plan.with_param_values(params.clone()) {
                Ok(plan) => plan,
                Err(e) => return Some(Err(PgWireError::ApiError(Box::new(e)))),
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

    /// The rows of `plan`, encoded as text (a cursor's rows are fetched as text).
    async fn rows_of<C: ClientInfo + ?Sized>(
        &self,
        client: &C,
        plan: LogicalPlan,
    ) -> PgWireResult<QueryResponse> {
        let frame = self
            .ctx
            .execute_logical_plan(plan)
            .await
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        encode(client, frame, &Format::UnifiedText).await
    }
}
