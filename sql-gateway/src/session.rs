//! One pgwire session: statements the gateway owns (Hive DDL, SHOW, DESCRIBE, MSCK, CTAS,
//! INSERT) run against the catalog; everything else goes to DataFusion through
//! `datafusion-postgres`, whose handlers also provide `pg_catalog`, SET/SHOW, transactions
//! and cursors. Each session has its own DataFusion context (settings), sharing the catalog,
//! caches and object stores.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser as SqlParser;
use datafusion::sql::sqlparser::tokenizer::Token;
use datafusion_postgres::arrow_pg::datatypes::{arrow_schema_to_pg_fields, df};
use datafusion_postgres::pgwire::api::portal::{Format, Portal, PortalExecutionState};
use datafusion_postgres::pgwire::api::query::{
    send_describe_response, ExtendedQueryHandler, SimpleQueryHandler,
};
use datafusion_postgres::pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use datafusion_postgres::pgwire::api::stmt::QueryParser;
use datafusion_postgres::pgwire::api::store::{Entry, PortalStore};
use datafusion_postgres::pgwire::api::{ClientInfo, ClientPortalStore, Type, DEFAULT_NAME};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::data::{NoData, ParameterDescription};
use datafusion_postgres::pgwire::messages::extendedquery::{Describe, TARGET_TYPE_BYTE_STATEMENT};
use datafusion_postgres::pgwire::messages::response::TransactionStatus;
use datafusion_postgres::pgwire::messages::PgWireBackendMessage;
use datafusion_postgres::pgwire::types::format::FormatOptions;
use datafusion_postgres::{DfSessionService, Parser};
use futures::{Sink, SinkExt, StreamExt};
use tokio::sync::OnceCell;

use crate::athena::{self, Output};
use crate::cancel::{guard, CancelState};
use crate::error::{Error, Result};
use crate::users::User;
use crate::Shared;

mod copy_out;
mod declare;
mod params;

use params::{bound_params, placeholder_count};

/// The statement type `datafusion-postgres` keeps in portals: the SQL and, for DataFusion
/// statements, the parsed statement and its plan.
type DfStatement = (
    String,
    Option<(datafusion::sql::sqlparser::ast::Statement, LogicalPlan)>,
);

/// A connection's query handlers.
pub(crate) struct Session {
    shared: Arc<Shared>,
    ctx: Arc<SessionContext>,
    df: Arc<DfSessionService>,
    parser: Arc<SessionParser>,
    /// The connection's backend key, once known, to forget its cancel signal at the end.
    conn_key: parking_lot::Mutex<Option<(i32, Vec<u8>)>>,
    /// Set once the client's start-up parameters have been applied.
    started: Arc<OnceCell<()>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(key) = self.conn_key.lock().take() {
            self.shared.cancels.remove(&key);
        }
    }
}

impl Session {
    /// The connection's cancel signal; on the first statement also teaches the context
    /// who the session user is (`current_user`, `session_user`).
    fn cancel_state<C: ClientInfo + ?Sized>(&self, client: &C) -> Arc<CancelState> {
        let (pid, secret) = client.pid_and_secret_key();
        let key = (pid, secret.to_bytes().to_vec());
        let mut known = self.conn_key.lock();
        if known.is_none() {
            let user = client.metadata().get("user").cloned().unwrap_or_default();
            for name in ["session_user", "current_user"] {
                self.ctx.register_udf(crate::constant_udf(
                    name,
                    vec![],
                    datafusion::scalar::ScalarValue::Utf8(Some(user.clone())),
                ));
            }
        }
        *known = Some(key.clone());
        self.shared.cancels.state(key)
    }

    /// A session with its own context derived from the shared base context.
    pub(crate) fn new(shared: Arc<Shared>) -> Session {
        let ctx = Arc::new(SessionContext::new_with_state(shared.base.state()));
        crate::search_path::apply(&ctx, &default_db(&ctx));
        let df = Arc::new(DfSessionService::new(Arc::clone(&ctx)));
        let started = Arc::new(OnceCell::new());
        let parser = Arc::new(SessionParser {
            shared: Arc::clone(&shared),
            ctx: Arc::clone(&ctx),
            inner: <DfSessionService as ExtendedQueryHandler>::query_parser(&df),
            started: Arc::clone(&started),
        });
        Session {
            shared,
            ctx,
            df,
            parser,
            conn_key: parking_lot::Mutex::new(None),
            started,
        }
    }

    fn user<C: ClientInfo + ?Sized>(&self, client: &C) -> User {
        let name = client.metadata().get("user").cloned().unwrap_or_default();
        self.shared.users.session_user(&name)
    }

    /// The plan of `sql` when it is a query that plans, with its output columns ready for
    /// the wire (`wire_text`). It is planned by datafusion-postgres's parser, with the same
    /// rewrites for PostgreSQL clients as every other statement. Anything else goes to
    /// datafusion-postgres whole, which also reports planning errors and refuses queries in
    /// a failed transaction.
    async fn planned_query<C>(&self, client: &C, sql: &str) -> Option<LogicalPlan>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        if client.transaction_status() == TransactionStatus::Error {
            return None;
        }
        let stmts = SqlParser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
        if !matches!(stmts.as_slice(), [SqlStatement::Query(_)]) {
            return None;
        }
        let (_, parsed) = self.parser.inner.parse_sql(client, sql, &[]).await.ok()??;
        let (_, plan) = parsed?;
        let state = self.ctx.state_ref();
        let guard = state.read();
        crate::wire_text::for_clients(plan, &guard).ok()
    }

    /// Runs a planned query as datafusion-postgres's simple-query path does.
    async fn run_query<C: ClientInfo + ?Sized>(
        &self,
        client: &C,
        plan: LogicalPlan,
    ) -> PgWireResult<Response> {
        Ok(Response::Query(self.rows_of(client, plan).await?))
    }

    /// The rows of `plan`, encoded as text.
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

    async fn run_own<C>(
        &self,
        client: &mut C,
        stmt: athena::Statement,
        format: &Format,
        params: &ParamValues,
    ) -> Result<Response>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: std::fmt::Debug,
    {
        let user = self.user(client);
        let env = athena::Env {
            catalog: &self.shared.catalog,
            ctx: &self.ctx,
            cache: &self.shared.cache,
            user: &user,
            params,
        };
        match athena::run(&env, stmt).await? {
            Output::Rows(batch) => {
                let frame = self.ctx.read_batch(batch)?;
                let resp = encode(client, frame, format)
                    .await
                    .map_err(|e| Error::InvalidInput(e.to_string()))?;
                Ok(Response::Query(resp))
            }
            Output::Done(tag) => Ok(Response::Execution(command_tag(&tag))),
            Output::Noted { tag, notice } => {
                let info = ErrorInfo::new("NOTICE".into(), "00000".into(), notice);
                client
                    .send(PgWireBackendMessage::NoticeResponse(info.into()))
                    .await
                    .map_err(|e| Error::Io(std::io::Error::other(format!("{e:?}"))))?;
                Ok(Response::Execution(command_tag(&tag)))
            }
        }
    }
}

/// A result's rows in the wire `format`, with the client's date and number settings.
async fn encode<C: ClientInfo + ?Sized>(
    client: &C,
    frame: DataFrame,
    format: &Format,
) -> PgWireResult<QueryResponse> {
    let options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
    df::encode_dataframe(frame, format, Some(options)).await
}

/// What every result goes through on its way out: rows stop at a cancel, and times read as
/// PostgreSQL writes them.
fn finish(resp: Response, cancel: &Arc<CancelState>) -> Response {
    match resp {
        Response::Query(q) => Response::Query(finish_rows(q, cancel)),
        other => other,
    }
}

/// [`finish`] for a query's rows.
fn finish_rows(mut q: QueryResponse, cancel: &Arc<CancelState>) -> QueryResponse {
    let schema = q.row_schema();
    let rows = std::mem::replace(q.data_rows(), Box::pin(futures::stream::empty()));
    let rows = crate::time_text::pg_time_rows(guard(rows, Arc::clone(cancel)), &schema);
    let mut wrapped = QueryResponse::new(schema, rows);
    wrapped.set_command_tag(q.command_tag());
    wrapped
}

/// `INSERT 0 5` / `SELECT 3` / `CREATE TABLE` as a pgwire tag.
fn command_tag(text: &str) -> Tag {
    let words: Vec<&str> = text.split(' ').collect();
    match words.as_slice() {
        ["INSERT", oid, n] => Tag::new("INSERT")
            .with_oid(oid.parse().unwrap_or(0))
            .with_rows(n.parse().unwrap_or(0)),
        [.., n] if n.parse::<usize>().is_ok() => {
            Tag::new(&words[..words.len() - 1].join(" ")).with_rows(n.parse().unwrap_or(0))
        }
        _ => Tag::new(text),
    }
}

/// Splits a simple-query string into statements on top-level semicolons, each the client's
/// text.
fn split_statements(sql: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut start = 0;
    // Whether the statement so far has more than whitespace and comments.
    let mut substance = false;
    let tokens = crate::sql_text::tokens(&PostgreSqlDialect {}, sql)?;
    let ends = tokens.iter().map(|(t, at)| (Some(t), *at));
    for (token, at) in ends.chain([(None, sql.len())]) {
        match token {
            Some(Token::SemiColon) | None => {
                if substance {
                    out.push(sql[start..at].to_string());
                }
                start = (at + 1).min(sql.len());
                substance = false;
            }
            Some(Token::Whitespace(_)) => {}
            Some(_) => substance = true,
        }
    }
    Ok(out)
}

/// Applies what the client asked for when it connected (its `search_path`), once, before
/// its first statement is parsed.
async fn start_once<C: ClientInfo + ?Sized>(
    started: &OnceCell<()>,
    shared: &Shared,
    ctx: &SessionContext,
    client: &C,
) {
    started
        .get_or_init(|| async {
            let name = client.metadata().get("user").cloned().unwrap_or_default();
            let user = shared.users.session_user(&name);
            let catalog = shared.catalog.as_ref();
            crate::search_path::at_startup(ctx, catalog, &user, client.metadata()).await
        })
        .await;
}

fn default_db(ctx: &SessionContext) -> String {
    ctx.state()
        .config()
        .options()
        .catalog
        .default_schema
        .clone()
}

/// No statement handed to DataFusion may be a COPY: DataFusion's would read or write files
/// on the server. `COPY (query) TO STDOUT` is answered before this (`copy_out`); a COPY
/// that gets here some other way is refused for every user.
fn refuse_file_copy(sql: &str) -> Result<()> {
    let has_word = sql
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"copy"));
    if !has_word {
        return Ok(());
    }
    let is_copy = match SqlParser::parse_sql(&PostgreSqlDialect {}, sql) {
        Ok(stmts) => stmts.iter().any(copies),
        // DataFusion's own COPY syntax (`STORED AS`) does not parse here; refusing any text
        // that names COPY is safe, as it would fail to parse anyway.
        Err(_) => true,
    };
    if is_copy {
        return Err(Error::Unsupported(
            "COPY runs only as COPY (query) TO STDOUT here; use psql's \\copy for a \
             client-side file"
                .into(),
        ));
    }
    Ok(())
}

/// Whether a statement is a COPY, or explains one (`EXPLAIN ANALYZE` runs it).
fn copies(stmt: &SqlStatement) -> bool {
    match stmt {
        SqlStatement::Copy { .. } => true,
        SqlStatement::Explain { statement, .. } => copies(statement),
        _ => false,
    }
}

/// Checks a DataFusion statement against the user's rights; unparsable SQL passes through
/// so DataFusion reports the syntax error.
pub(crate) fn check_df_statement(user: &User, ctx: &SessionContext, sql: &str) -> Result<()> {
    refuse_file_copy(sql)?;
    if user.databases.is_none() && !user.read_only {
        return Ok(());
    }
    let Ok(stmts) = SqlParser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Ok(());
    };
    let db = default_db(ctx);
    stmts.iter().try_for_each(|s| user.check_statement(s, &db))
}

impl Session {
    /// One statement of a simple query: ours, or DataFusion's (planned here when it is a
    /// query, else run by datafusion-postgres).
    async fn run_simple<C>(&self, client: &mut C, sql: String) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match athena::parse(&sql) {
            Ok(Some(stmt)) => self
                .run_own(
                    client,
                    stmt,
                    &Format::UnifiedText,
                    &ParamValues::List(vec![]),
                )
                .await
                .map(|r| vec![r])
                .map_err(|e| e.to_wire()),
            Ok(None) => match check_df_statement(&self.user(client), &self.ctx, &sql) {
                Ok(()) => {
                    let sql = crate::rewrite::rewrite_sql(&sql).unwrap_or(sql);
                    match self.planned_query(client, &sql).await {
                        Some(plan) => self.run_query(client, plan).await.map(|r| vec![r]),
                        None => SimpleQueryHandler::do_query(self.df.as_ref(), client, &sql).await,
                    }
                }
                Err(e) => Err(e.to_wire()),
            },
            Err(e) => Err(e.to_wire()),
        }
    }

    /// `COPY (query) TO STDOUT`: the query's rows as COPY lines.
    async fn copy_out<C>(
        &self,
        client: &C,
        copy: Result<(String, copy_out::CopyFormat)>,
        cancel: &Arc<CancelState>,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let (query, format) = copy.map_err(|e| e.to_wire())?;
        check_df_statement(&self.user(client), &self.ctx, &query).map_err(|e| e.to_wire())?;
        let Some(plan) = self.planned_query(client, &query).await else {
            let why = match self.ctx.sql(&query).await {
                Err(e) => Error::DataFusion(e),
                Ok(_) => Error::InvalidInput("COPY runs a query".into()),
            };
            return Err(why.to_wire());
        };
        let rows = finish_rows(self.rows_of(client, plan).await?, cancel);
        Ok(Response::CopyOut(copy_out::response(rows, format)))
    }
}

#[async_trait]
impl SimpleQueryHandler for Session {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        start_once(&self.started, &self.shared, &self.ctx, client).await;
        let statements = match split_statements(query) {
            Ok(s) => s,
            Err(e) => return Err(e.to_wire()),
        };
        if statements.is_empty() {
            return Ok(vec![Response::EmptyQuery]);
        }
        let cancel = self.cancel_state(client);
        let mut responses = Vec::with_capacity(statements.len());
        for sql in statements {
            let result = match copy_out::parse(&sql) {
                Some(copy) => self.copy_out(client, copy, &cancel).await.map(|r| vec![r]),
                None => self.run_simple(client, sql).await,
            };
            match result {
                Ok(r) => responses.extend(r.into_iter().map(|r| finish(r, &cancel))),
                Err(mut e) => {
                    crate::error::rewrite_wire_error(&mut e);
                    if responses.is_empty() {
                        return Err(e);
                    }
                    responses.push(Response::Error(Box::new(e.into())));
                    break;
                }
            }
        }
        Ok(responses)
    }
}

/// Parses extended-protocol statements: the gateway's own become a portal without a plan
/// (their result columns are known up front); the rest are planned by DataFusion.
pub(crate) struct SessionParser {
    shared: Arc<Shared>,
    ctx: Arc<SessionContext>,
    inner: Arc<Parser>,
    /// The session's start-up flag (see `start_once`).
    started: Arc<OnceCell<()>>,
}

#[async_trait]
impl QueryParser for SessionParser {
    type Statement = DfStatement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        start_once(&self.started, &self.shared, &self.ctx, client).await;
        match athena::parse(sql) {
            Ok(Some(_)) => return Ok(Some((sql.to_string(), None))),
            Ok(None) => {}
            Err(e) => return Err(e.to_wire()),
        }
        let name = client.metadata().get("user").cloned().unwrap_or_default();
        let user = self.shared.users.session_user(&name);
        check_df_statement(&user, &self.ctx, sql).map_err(|e| e.to_wire())?;
        let sql = crate::rewrite::rewrite_sql(sql).unwrap_or_else(|| sql.to_string());
        match self.inner.parse_sql(client, &sql, types).await? {
            Some((sql, Some((stmt, plan)))) => {
                let plan = params::with_declared_types(plan, types)
                    .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
                let state = self.ctx.state_ref();
                let plan = crate::wire_text::for_clients(plan, &state.read())
                    .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
                Ok(Some((sql, Some((stmt, plan)))))
            }
            other => Ok(other),
        }
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        if stmt.1.is_none() {
            return Ok(vec![Type::TEXT; placeholder_count(&stmt.0)]);
        }
        self.inner.get_parameter_types(stmt)
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        if stmt.1.is_none() {
            if let Ok(Some(own)) = athena::parse(&stmt.0) {
                let schema = athena::result_schema(&own);
                return arrow_schema_to_pg_fields(
                    &schema,
                    format.unwrap_or(&Format::UnifiedText),
                    None,
                );
            }
        }
        self.inner.get_result_schema(stmt, format)
    }
}

#[async_trait]
impl ExtendedQueryHandler for Session {
    type Statement = DfStatement;
    type QueryParser = SessionParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::clone(&self.parser)
    }

    /// pgwire describes a statement that takes parameters and returns no rows (our INSERT
    /// with `$n`) with a RowDescription of no columns; PostgreSQL sends NoData, and pgjdbc
    /// then refuses the statement's update count ("a result was returned").
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.target_type == TARGET_TYPE_BYTE_STATEMENT {
            let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
            if let Some(Entry::Value(stmt)) = client.portal_store().get_statement(name) {
                let described = self.do_describe_statement(client, &stmt).await?;
                if !described.fields.is_empty() {
                    return send_describe_response(client, &described).await;
                }
                let oids = described.parameters.iter().map(Type::oid).collect();
                client
                    .send(PgWireBackendMessage::ParameterDescription(
                        ParameterDescription::new(oids),
                    ))
                    .await?;
                return Ok(client
                    .send(PgWireBackendMessage::NoData(NoData::new()))
                    .await?);
            }
        }
        self._on_describe(client, message).await
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        start_once(&self.started, &self.shared, &self.ctx, client).await;
        let cancel = self.cancel_state(client);
        let stmt = &portal.statement.statement;
        if let Some((SqlStatement::Declare { stmts }, _)) = &stmt.1 {
            if let Some(resp) = self.declare(client, stmts, portal, &cancel).await {
                return resp;
            }
        }
        let mut own_resp = None;
        if stmt.1.is_none() {
            if let Ok(Some(own)) = athena::parse(&stmt.0) {
                let params = bound_params(portal, &[])?;
                own_resp = Some(
                    self.run_own(client, own, &portal.result_column_format, &params)
                        .await
                        .map_err(|e| e.to_wire())?,
                );
            }
        }
        let resp = match own_resp {
            Some(r) => r,
            None => {
                let typed = params::numeric_text(portal);
                let portal = typed.as_ref().unwrap_or(portal);
                ExtendedQueryHandler::do_query(self.df.as_ref(), client, portal, max_rows).await?
            }
        };
        let resp = finish(resp, &cancel);
        if max_rows == 0 {
            // pgwire's default `on_execute` would hand this to `Portal::fetch(0)`, which
            // collects every row into a `Vec` before the first one is written.
            return stream_rows(client, portal, resp).await;
        }
        // A row limit bounds `Portal::fetch`'s buffer to `max_rows` rows: keep pgwire's
        // suspend/resume handling.
        Ok(resp)
    }
}

/// Writes all rows of an unlimited `Execute` straight to the connection and answers with
/// their command tag, so pgwire's `on_execute` only sends the `CommandComplete`.
///
/// `feed` goes through tokio-util's `Framed`, whose `poll_ready` flushes to the socket once
/// ~8 KiB are buffered and waits while the socket is full: a slow reader stops the
/// DataFusion stream instead of piling rows up in memory. pgwire's cancel race around
/// `do_query` and the session's cancel guard both still stop the rows.
async fn stream_rows<C>(
    client: &mut C,
    portal: &Portal<DfStatement>,
    resp: Response,
) -> PgWireResult<Response>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let Response::Query(mut q) = resp else {
        return Ok(resp);
    };
    let tag = q.command_tag().to_owned();
    let rows = q.data_rows();
    let mut count = 0usize;
    while let Some(row) = rows.next().await {
        client.feed(PgWireBackendMessage::DataRow(row?)).await?;
        count += 1;
    }
    // Like PostgreSQL, executing the finished portal again returns no rows rather than
    // rerunning the query. pgwire released the state lock before calling `do_query`.
    if let Ok(mut state) = portal.state.try_lock() {
        *state = PortalExecutionState::Finished;
    }
    Ok(Response::Execution(Tag::new(&tag).with_rows(count)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let parts = split_statements("select ';'; show tables;; select 2").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].trim(), "select ';'");
        assert!(split_statements("  ; ").unwrap().is_empty());
        let parts = split_statements("select 'it''s'; -- done\n/* more */").unwrap();
        assert_eq!(parts, ["select 'it''s'"]);
    }

    /// A `Sink` that records how far the row stream ran ahead of what was written.
    struct AheadSink {
        pulled: Arc<std::sync::atomic::AtomicUsize>,
        written: usize,
        max_ahead: usize,
    }

    impl Sink<PgWireBackendMessage> for AheadSink {
        type Error = std::io::Error;

        fn poll_ready(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn start_send(
            self: std::pin::Pin<&mut Self>,
            item: PgWireBackendMessage,
        ) -> std::io::Result<()> {
            let this = self.get_mut();
            if let PgWireBackendMessage::DataRow(_) = item {
                this.written += 1;
                let pulled = this.pulled.load(std::sync::atomic::Ordering::SeqCst);
                this.max_ahead = this.max_ahead.max(pulled - this.written);
            }
            Ok(())
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn unlimited_execute_streams_rows_one_at_a_time() {
        use datafusion_postgres::pgwire::api::results::QueryResponse;
        use datafusion_postgres::pgwire::api::stmt::StoredStatement;
        use datafusion_postgres::pgwire::messages::response::CommandComplete;

        let ctx = SessionContext::new();
        let frame = ctx
            .sql("select value from generate_series(1, 50000)")
            .await
            .unwrap();
        let mut q = df::encode_dataframe(frame, &Format::UnifiedText, None)
            .await
            .unwrap();
        let pulled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&pulled);
        let rows = std::mem::replace(q.data_rows(), Box::pin(futures::stream::empty()));
        let rows = rows.inspect(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let resp = Response::Query(QueryResponse::new(q.row_schema(), rows));

        let stmt = StoredStatement::new("s".to_string(), ("select".to_string(), None), vec![]);
        let portal = Portal::new_cursor("p".to_string(), Arc::new(stmt));
        let mut sink = AheadSink {
            pulled: Arc::clone(&pulled),
            written: 0,
            max_ahead: 0,
        };
        let out = stream_rows(&mut sink, &portal, resp).await.unwrap();

        assert_eq!(sink.written, 50000);
        assert_eq!(sink.max_ahead, 0, "rows were buffered before being written");
        let Response::Execution(tag) = out else {
            panic!("expected a command tag");
        };
        assert_eq!(CommandComplete::from(tag).tag, "SELECT 50000");
        assert!(matches!(
            *portal.state.try_lock().unwrap(),
            PortalExecutionState::Finished
        ));
    }

    #[test]
    fn builds_command_tags() {
        use datafusion_postgres::pgwire::messages::response::CommandComplete;
        let tag = |t: &str| CommandComplete::from(command_tag(t)).tag;
        assert_eq!(tag("INSERT 0 5"), "INSERT 0 5");
        assert_eq!(tag("SELECT 3"), "SELECT 3");
        assert_eq!(tag("CREATE TABLE"), "CREATE TABLE");
    }
}
