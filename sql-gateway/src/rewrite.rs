//! SQL rewrites for what clients send and DataFusion does not accept as written.
//!
//! `LIKE ... ESCAPE 'c'` with an escape other than backslash (SQLAlchemy's schema listing
//! uses `ESCAPE '/'`): the pattern is rewritten to use backslash, DataFusion's escape.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{visit_expressions_mut, Expr, Value};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// The rewritten SQL, or `None` when nothing needs rewriting (or it does not parse).
pub(crate) fn rewrite_sql(sql: &str) -> Option<String> {
    if !sql.to_ascii_lowercase().contains("escape") {
        return None;
    }
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let mut changed = false;
    let _ = visit_expressions_mut(&mut stmts, |e| {
        if let Expr::Like {
            pattern,
            escape_char,
            ..
        }
        | Expr::ILike {
            pattern,
            escape_char,
            ..
        } = e
        {
            let escape = match escape_char.as_ref().map(|v| &v.value) {
                Some(Value::SingleQuotedString(c)) if c != "\\" && c.chars().count() == 1 => {
                    c.clone()
                }
                _ => return ControlFlow::<()>::Continue(()),
            };
            if let Some(new) = backslash_pattern(pattern, &escape) {
                **pattern = new;
                *escape_char = None;
                changed = true;
            }
        }
        ControlFlow::Continue(())
    });
    changed.then(|| {
        stmts
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// `pattern` with its escape character replaced by backslash (existing backslashes first
/// made literal).
fn backslash_pattern(pattern: &Expr, escape: &str) -> Option<Expr> {
    let escape = escape.replace('\'', "''");
    let text = format!("replace(replace(({pattern}), '\\', '\\\\'), '{escape}', '\\')");
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&text)
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
