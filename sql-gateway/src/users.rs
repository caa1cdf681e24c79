//! Who may connect and what they may touch: configured users, limited to some databases
//! and optionally read-only. Anything else is refused with SQLSTATE 42501.

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{Query, SetExpr, Statement, Visit, Visitor};

use crate::error::{Error, Result};

/// A user as configured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserConfig {
    /// Login name.
    pub name: String,
    /// Password (from the environment variable the configuration names); never logged.
    pub password: Option<String>,
    /// A stored SCRAM secret from `lakehive pg-password`, instead of a password.
    pub scram: Option<String>,
    /// Databases the user may use; `None` for all.
    pub databases: Option<Vec<String>>,
    /// Where a user limited to some databases may also point tables, besides those
    /// databases' folders (location prefixes such as `s3://raw/sales/`).
    pub locations: Vec<String>,
    /// Only queries and SHOW/DESCRIBE.
    pub read_only: bool,
}

/// The user of a session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct User {
    /// Login name.
    pub name: String,
    /// Databases the user may use; `None` for all.
    pub databases: Option<Vec<String>>,
    /// Location prefixes a limited user may name besides their databases' folders.
    pub locations: Vec<String>,
    /// Only queries and SHOW/DESCRIBE.
    pub read_only: bool,
}

impl User {
    /// A user who may do anything (trust authentication).
    pub(crate) fn unrestricted(name: &str) -> User {
        User {
            name: name.to_string(),
            databases: None,
            locations: Vec::new(),
            read_only: false,
        }
    }

    /// Whether the user may see this database.
    pub(crate) fn may_see(&self, db: &str) -> bool {
        matches!(db, "pg_catalog" | "information_schema")
            || self
                .databases
                .as_ref()
                .is_none_or(|dbs| dbs.iter().any(|d| d.eq_ignore_ascii_case(db)))
    }

    /// Refuses writes for a read-only user.
    pub(crate) fn check_writes(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::PermissionDenied(format!(
                "user {} is read-only",
                self.name
            )));
        }
        Ok(())
    }

    /// Refuses a database the user may not use, or a write by a read-only user.
    pub(crate) fn check(&self, db: &str, write: bool) -> Result<()> {
        if write {
            self.check_writes()?;
        }
        if !self.may_see(db) {
            return Err(Error::PermissionDenied(format!(
                "user {} may not use database {db}",
                self.name
            )));
        }
        Ok(())
    }

    /// Checks a statement DataFusion will run: its kind and every table it names.
    pub(crate) fn check_statement(&self, stmt: &Statement, default_db: &str) -> Result<()> {
        if !reads_only(stmt) {
            self.check_writes()?;
        }
        if self.databases.is_none() {
            return Ok(());
        }
        let wrapped = datafusion::sql::parser::Statement::Statement(Box::new(stmt.clone()));
        let (tables, _ctes) = resolve_table_references(&wrapped, true)?;
        for t in tables {
            let db = t.schema().unwrap_or(default_db);
            self.check(db, false)?;
        }
        Ok(())
    }
}

/// Whether a statement DataFusion runs only reads: a query (not `SELECT ... INTO`), the
/// plan of one, session and transaction statements, and cursors and prepared statements
/// over such statements.
fn reads_only(stmt: &Statement) -> bool {
    match stmt {
        Statement::Query(_) | Statement::Declare { .. } => !has_into(stmt),
        // EXPLAIN ANALYZE runs what it explains: only a query's plan is read-only.
        Statement::Explain { statement, .. } => {
            matches!(**statement, Statement::Query(_)) && reads_only(statement)
        }
        Statement::Prepare { statement, .. } => reads_only(statement),
        Statement::ExplainTable { .. }
        | Statement::Set(_)
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Execute { .. } => true,
        _ => false,
    }
}

/// Whether any SELECT in a statement, at any depth, has an INTO clause (which creates a
/// table).
fn has_into(stmt: &Statement) -> bool {
    struct IntoFinder;
    impl Visitor for IntoFinder {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if select_into(&query.body) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    stmt.visit(&mut IntoFinder).is_break()
}

/// Whether a query body's own SELECTs (not its subqueries, which are visited as queries)
/// have an INTO clause.
fn select_into(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(select) => select.into.is_some(),
        SetExpr::SetOperation { left, right, .. } => select_into(left) || select_into(right),
        _ => false,
    }
}

/// The configured users by name, or trust for anyone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    /// Accept any user name without a password, with full rights.
    pub trust: bool,
    by_name: HashMap<String, UserConfig>,
}

impl Users {
    /// Users from configuration.
    pub(crate) fn new(trust: bool, users: Vec<UserConfig>) -> Users {
        Users {
            trust,
            by_name: users.into_iter().map(|u| (u.name.clone(), u)).collect(),
        }
    }

    /// Every configured user.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &UserConfig> {
        self.by_name.values()
    }

    /// The session user for a login name.
    pub(crate) fn session_user(&self, name: &str) -> User {
        match self.by_name.get(name) {
            Some(u) => User {
                name: u.name.clone(),
                databases: u.databases.clone(),
                locations: u.locations.clone(),
                read_only: u.read_only,
            },
            None => User::unrestricted(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn stmt(sql: &str) -> Statement {
        Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn limits_databases_and_writes() {
        let bob = User {
            name: "bob".into(),
            databases: Some(vec!["sales".into()]),
            locations: Vec::new(),
            read_only: true,
        };
        assert!(bob
            .check_statement(&stmt("select * from sales.orders"), "default")
            .is_ok());
        assert!(bob
            .check_statement(&stmt("select * from pg_catalog.pg_class"), "default")
            .is_ok());
        let other = bob.check_statement(
            &stmt("select * from other.t join sales.o on true"),
            "default",
        );
        assert!(matches!(other, Err(Error::PermissionDenied(_))));
        let unqualified = bob.check_statement(&stmt("select * from t"), "default");
        assert!(matches!(unqualified, Err(Error::PermissionDenied(_))));
        assert!(bob
            .check_statement(&stmt("select * from t"), "sales")
            .is_ok());
        let write = bob.check_statement(&stmt("create view sales.v as select 1"), "sales");
        assert!(matches!(write, Err(Error::PermissionDenied(_))));
        let explained = bob.check_statement(
            &stmt("explain analyze insert into sales.orders select * from sales.orders"),
            "sales",
        );
        assert!(matches!(explained, Err(Error::PermissionDenied(_))));
        assert!(bob
            .check_statement(&stmt("explain analyze select 1"), "sales")
            .is_ok());
        assert!(User::unrestricted("x").check("any", true).is_ok());
    }

    #[test]
    fn statements_that_create_or_change_tables_are_writes() {
        for sql in [
            "select 1 into sales.t",
            "select * from (select 1 union select 2 into t) s",
            "prepare p as insert into sales.orders values (1)",
            "prepare p as select 1 into t",
            "declare c cursor for select 1 into t",
            "explain select 1 into t",
        ] {
            assert!(!reads_only(&stmt(sql)), "{sql}");
        }
        for sql in [
            "select 1 as into_x",
            "prepare p as select * from sales.orders where id = $1",
            "declare c cursor for select 1",
            "execute p",
            "explain select 1",
        ] {
            assert!(reads_only(&stmt(sql)), "{sql}");
        }
    }
}
