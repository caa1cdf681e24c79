//! Catalog array columns as clients use them, for SQLAlchemy's `Table(autoload_with=)` index
//! and constraint queries.
//!
//! datafusion-pg-catalog keeps PostgreSQL's `int2vector`/`oidvector` columns of `pg_index`
//! (`indkey`, `indclass`, `indoption`, `indcollation`) as text such as `'1 2'`, and `pg_class`
//! has no `reloptions`. So:
//! - `unnest(<x>.indkey)` becomes `unnest(CAST(string_to_array(<x>.indkey, ' ') AS SMALLINT[]))`
//!   (`INT[]` for the oid vectors);
//! - `generate_subscripts(<x>.indkey, d)` becomes `unnest(generate_series(1, CASE WHEN (d) = 1
//!   THEN array_length(<indkey as above>, 1) END))`, which is what PostgreSQL gives for a
//!   one-dimensional array (only for those columns; a user's array is left alone);
//! - `<x>.reloptions` of `pg_class` becomes `CAST(NULL AS TEXT[])`, named `reloptions` when it
//!   is a select item of its own (no table here has storage options).
//!
//! Parameters (`$n`) stay where they were.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, SelectItem, Statement,
    VisitMut, VisitorMut,
};

use super::parse_expr;

/// Whether `lower_sql` may need these rewrites (a cheap test before parsing).
pub(super) fn mentions(lower_sql: &str) -> bool {
    lower_sql.contains("generate_subscripts")
        || lower_sql.contains("reloptions")
        || (lower_sql.contains("unnest") && lower_sql.contains("pg_index"))
}

/// Applies the rewrites to `stmts`; whether any applied.
pub(super) fn rewrite(stmts: &mut [Statement]) -> bool {
    let mut visitor = Arrays { changed: false };
    for stmt in stmts.iter_mut() {
        name_reloptions_items(stmt);
        let _ = stmt.visit(&mut visitor);
    }
    visitor.changed
}

struct Arrays {
    changed: bool,
}

impl VisitorMut for Arrays {
    type Break = ();

    // After the children: replacements are not visited again.
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let new = match expr {
            Expr::CompoundIdentifier(parts) if is_column_of(parts, "pg_class", "reloptions") => {
                parse_expr("CAST(NULL AS TEXT[])")
            }
            Expr::Function(f) => match (function_name(f).as_deref(), plain_args(f).as_deref()) {
                (Some("unnest"), Some([a])) => {
                    vector_as_array(a).and_then(|arr| parse_expr(&format!("unnest({arr})")))
                }
                (Some("generate_subscripts"), Some([a, d])) => vector_as_array(a).and_then(|arr| {
                    parse_expr(&format!(
                        "unnest(generate_series(1, CASE WHEN ({d}) = 1 \
                             THEN CAST(array_length({arr}, 1) AS BIGINT) END))"
                    ))
                }),
                _ => None,
            },
            _ => None,
        };
        if let Some(new) = new {
            *expr = new;
            self.changed = true;
        }
        ControlFlow::Continue(())
    }
}

/// Gives an unnamed `<x>.reloptions` select item its column name before the expression is
/// replaced (clients read the row by that name).
fn name_reloptions_items(stmt: &mut Statement) {
    struct Items;
    impl VisitorMut for Items {
        type Break = ();
        fn pre_visit_query(
            &mut self,
            query: &mut datafusion::sql::sqlparser::ast::Query,
        ) -> ControlFlow<()> {
            if let datafusion::sql::sqlparser::ast::SetExpr::Select(select) = query.body.as_mut() {
                for item in select.projection.iter_mut() {
                    if let SelectItem::UnnamedExpr(e @ Expr::CompoundIdentifier(_)) = item {
                        if matches!(e, Expr::CompoundIdentifier(p) if is_column_of(p, "pg_class", "reloptions"))
                        {
                            *item = SelectItem::ExprWithAlias {
                                expr: e.clone(),
                                alias: Ident::new("reloptions"),
                            };
                        }
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut Items);
}

/// Whether `parts` is `[...].<table>.<column>`: only catalog columns named through their
/// table are rewritten, never a user table's column of the same name.
fn is_column_of(parts: &[Ident], table: &str, column: &str) -> bool {
    let n = parts.len();
    n >= 2
        && parts[n - 1].value.eq_ignore_ascii_case(column)
        && parts[n - 2].value.eq_ignore_ascii_case(table)
}

/// The function's name without `pg_catalog.`, lower case.
fn function_name(f: &Function) -> Option<String> {
    let parts = &f.name.0;
    let last = parts.last()?.as_ident()?.value.to_ascii_lowercase();
    match parts.len() {
        1 => Some(last),
        2 if parts[0]
            .as_ident()
            .is_some_and(|i| i.value.eq_ignore_ascii_case("pg_catalog")) =>
        {
            Some(last)
        }
        _ => None,
    }
}

/// Positional, unnamed arguments.
fn plain_args(f: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if !list.clauses.is_empty() || list.duplicate_treatment.is_some() {
        return None;
    }
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// SQL for `pg_index`'s text vector column `e` as an array, if `e` is one.
fn vector_as_array(e: &Expr) -> Option<String> {
    let Expr::CompoundIdentifier(parts) = e else {
        return None;
    };
    let element = ["indkey", "indoption", "indclass", "indcollation"]
        .into_iter()
        .find(|c| is_column_of(parts, "pg_index", c))
        .map(|c| {
            if c.starts_with("indk") || c.starts_with("indo") {
                "SMALLINT"
            } else {
                "INT"
            }
        })?;
    Some(format!("CAST(string_to_array({e}, ' ') AS {element}[])"))
}

#[cfg(test)]
mod tests {
    use super::super::rewrite_sql;

    #[test]
    fn index_vectors_become_arrays() {
        let out = rewrite_sql(
            "SELECT unnest(pg_catalog.pg_index.indkey) AS attnum, \
             generate_subscripts(pg_catalog.pg_index.indkey, $1::INTEGER) AS ord \
             FROM pg_catalog.pg_index WHERE pg_catalog.pg_index.indrelid IN ($2)",
        )
        .unwrap();
        let arr = "CAST(string_to_array(pg_catalog.pg_index.indkey, ' ') AS SMALLINT[])";
        assert!(out.contains(&format!("unnest({arr}) AS attnum")), "{out}");
        assert!(
            out.contains(&format!(
                "unnest(generate_series(1, CASE WHEN ($1::INTEGER) = 1 THEN CAST(array_length({arr}, 1) AS BIGINT) END)) AS ord"
            )),
            "{out}"
        );
        assert!(out.contains("IN ($2)"), "{out}");
    }

    #[test]
    fn reloptions_is_a_named_null() {
        let out = rewrite_sql(
            "SELECT pg_catalog.pg_class.oid, pg_catalog.pg_class.reloptions FROM pg_catalog.pg_class",
        )
        .unwrap();
        assert!(out.contains("CAST(NULL AS TEXT[]) AS reloptions"), "{out}");
    }

    #[test]
    fn user_columns_are_left_alone() {
        assert_eq!(rewrite_sql("SELECT unnest(tags) FROM t"), None);
        assert_eq!(
            rewrite_sql("SELECT generate_subscripts(t.tags, 1) FROM t"),
            None
        );
        for sql in [
            "SELECT unnest(t.indkey), t.reloptions FROM pg_catalog.pg_index, t",
            "SELECT reloptions FROM t",
        ] {
            let out = rewrite_sql(sql);
            assert!(out.as_deref().is_none_or(|o| o == sql), "{out:?}");
        }
    }
}
