//! SQL rewrites for what clients send and DataFusion does not accept as written.
//!
//! - `LIKE ... ESCAPE 'c'` with an escape other than backslash (SQLAlchemy's schema listing
//!   uses `ESCAPE '/'`): the pattern is rewritten to use backslash, DataFusion's escape.
//! - Correlated scalar subqueries over `pg_catalog` that DataFusion 55 cannot decorrelate
//!   (SQLAlchemy's column reflection): see [`catalog_subquery`].
//! - `information_schema.columns` numbers columns from 1: see [`info_schema`].
//! - `pg_index`'s vector columns unnested, `generate_subscripts`, `pg_class.reloptions`
//!   (SQLAlchemy's table reflection): see [`pg_arrays`].

mod catalog_subquery;
mod info_schema;
mod pg_arrays;

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{visit_expressions_mut, Expr, Statement, Value};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// The rewritten SQL, or `None` when nothing needs rewriting (or it does not parse).
pub(crate) fn rewrite_sql(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    let escapes = lower.contains("escape");
    let subqueries = lower.contains("pg_catalog.") && lower.matches("select").nth(1).is_some();
    let info_columns = info_schema::mentions(&lower);
    let arrays = pg_arrays::mentions(&lower);
    if !escapes && !subqueries && !info_columns && !arrays {
        return None;
    }
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let mut changed = false;
    if escapes {
        changed |= rewrite_like_escapes(&mut stmts);
    }
    if subqueries {
        changed |= catalog_subquery::decorrelate(&mut stmts);
    }
    if info_columns {
        changed |= info_schema::shift_ordinal_positions(&mut stmts);
    }
    if arrays {
        changed |= pg_arrays::rewrite(&mut stmts);
    }
    changed.then(|| {
        stmts
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Rewrites `LIKE`/`ILIKE` patterns with a non-backslash escape to backslash.
fn rewrite_like_escapes(stmts: &mut [Statement]) -> bool {
    let mut changed = false;
    for stmt in stmts.iter_mut() {
        let _ = visit_expressions_mut(stmt, |e| rewrite_like_escape(e, &mut changed));
    }
    changed
}

fn rewrite_like_escape(e: &mut Expr, changed: &mut bool) -> ControlFlow<()> {
    let (Expr::Like {
        pattern,
        escape_char,
        ..
    }
    | Expr::ILike {
        pattern,
        escape_char,
        ..
    }) = e
    else {
        return ControlFlow::Continue(());
    };
    let escape = match escape_char.as_ref().map(|v| &v.value) {
        Some(Value::SingleQuotedString(c)) if c != "\\" && c.chars().count() == 1 => c.clone(),
        _ => return ControlFlow::Continue(()),
    };
    if let Some(new) = backslash_pattern(pattern, &escape) {
        **pattern = new;
        *escape_char = None;
        *changed = true;
    }
    ControlFlow::Continue(())
}

/// `pattern` with its escape character replaced by backslash (existing backslashes first
/// made literal).
fn backslash_pattern(pattern: &Expr, escape: &str) -> Option<Expr> {
    let escape = escape.replace('\'', "''");
    parse_expr(&format!(
        "replace(replace(({pattern}), '\\', '\\\\'), '{escape}', '\\')"
    ))
}

/// One SQL expression, parsed with PostgreSQL's dialect.
fn parse_expr(text: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .ok()?
        .parse_expr()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_non_backslash_like_escapes() {
        let sql = "SELECT n FROM t WHERE n NOT LIKE 'pg/_' || '%' ESCAPE '/'";
        let out = rewrite_sql(sql).unwrap();
        assert!(
            out.contains("replace(replace(('pg/_' || '%'), '\\', '\\\\'), '/', '\\')"),
            "{out}"
        );
        assert!(!out.contains("ESCAPE"), "{out}");
        assert_eq!(rewrite_sql("SELECT 1 WHERE 'a' LIKE 'a' ESCAPE '\\'"), None);
        assert_eq!(rewrite_sql("SELECT 1"), None);
    }
}
