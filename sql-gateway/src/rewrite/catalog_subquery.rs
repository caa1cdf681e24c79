//! Correlated scalar subqueries over `pg_catalog`, made plannable by DataFusion 55.
//!
//! DataFusion decorrelates a scalar subquery only when it aggregates, has no WHERE condition
//! on outer columns alone and no outer column in its select list. SQLAlchemy's
//! `Inspector.get_columns` query breaks all three (its `default`, `identity_options` and
//! `collation` columns). Two rewrites, each giving the results PostgreSQL would on our
//! catalog:
//! - a subquery over tables that never have rows here ([`EMPTY_CATALOG_TABLES`]) gets its
//!   outer column references replaced by NULL: it is no longer correlated and still yields
//!   NULL. Its `$n` parameters stay, because clients bind every parameter by position;
//! - any other subquery over `pg_catalog` with one plain select item that uses no outer
//!   column, and no condition on outer columns alone, gets the item wrapped in `max()`: a
//!   scalar subquery yields at most one row, so the value is the same, and DataFusion turns
//!   the aggregate into a join.
//!
//! Anything else is left as written, so DataFusion reports what it reported before.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    visit_expressions, visit_expressions_mut, BinaryOperator, Expr, GroupByExpr, Query, Select,
    SelectItem, SetExpr, Statement, TableFactor, Value, Visit,
};

/// Catalog tables that have no rows in Lakehive: Hive columns have no defaults, and there
/// are no sequences.
const EMPTY_CATALOG_TABLES: &[&str] = &["pg_attrdef", "pg_sequence"];

const AGGREGATES: &[&str] = &[
    "max",
    "min",
    "count",
    "sum",
    "avg",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "first_value",
    "last_value",
];

/// Rewrites the catalog subqueries of `stmts`; whether any changed.
pub(super) fn decorrelate(stmts: &mut [Statement]) -> bool {
    let mut changed = false;
    for stmt in stmts.iter_mut() {
        let _ = visit_expressions_mut(stmt, |e| {
            if let Expr::Subquery(query) = e {
                changed |= decorrelate_one(query);
            }
            ControlFlow::<()>::Continue(())
        });
    }
    changed
}

/// A relation in a subquery's FROM: how its columns are qualified, and its table name.
struct Relation {
    qualifier: String,
    table: String,
}

fn decorrelate_one(query: &mut Query) -> bool {
    if query.with.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
        return false;
    }
    let SetExpr::Select(select) = query.body.as_mut() else {
        return false;
    };
    let Some(local) = catalog_relations(select) else {
        return false;
    };
    if has_nested_subquery(select) || !column_refs(&**select, &local).0 {
        return false; // not correlated, or too involved to judge
    }
    let empty = |r: &Relation| EMPTY_CATALOG_TABLES.contains(&r.table.as_str());
    if local.iter().all(empty) {
        let _ = visit_expressions_mut(&mut **select, |e| {
            if is_outer_column(e, &local) {
                *e = Expr::Value(Value::Null.with_empty_span());
            }
            ControlFlow::<()>::Continue(())
        });
        return true;
    }
    wrap_in_max(select, &local)
}

/// Wraps the single select item of a plain subquery in `max()`, when that keeps its value.
fn wrap_in_max(select: &mut Select, local: &[Relation]) -> bool {
    let plain = select.distinct.is_none()
        && select.having.is_none()
        && matches!(&select.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    if !plain || select.projection.len() != 1 {
        return false;
    }
    let outer_only_condition = select.selection.as_ref().is_some_and(|w| {
        let mut parts = Vec::new();
        conjuncts(w, &mut parts);
        parts
            .iter()
            .any(|c| column_refs(*c, local) == (true, false))
    });
    if outer_only_condition {
        return false;
    }
    let (SelectItem::UnnamedExpr(item) | SelectItem::ExprWithAlias { expr: item, .. }) =
        &mut select.projection[0]
    else {
        return false;
    };
    if column_refs(&*item, local).0 || has_aggregate(item) {
        return false;
    }
    let Some(wrapped) = super::parse_expr(&format!("max({item})")) else {
        return false;
    };
    *item = wrapped;
    true
}

fn has_nested_subquery(select: &Select) -> bool {
    let mut nested = false;
    let _ = visit_expressions(select, |e| {
        nested |= matches!(
            e,
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. }
        );
        ControlFlow::<()>::Continue(())
    });
    nested
}

/// The relations of `select`, when all are `pg_catalog.<table>` tables.
fn catalog_relations(select: &Select) -> Option<Vec<Relation>> {
    let mut out = Vec::new();
    for twj in &select.from {
        let factors = std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation));
        for factor in factors {
            let TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } = factor
            else {
                return None;
            };
            let parts = name
                .0
                .iter()
                .map(|p| p.as_ident().map(|i| i.value.to_ascii_lowercase()))
                .collect::<Option<Vec<_>>>()?;
            let [schema, table] = parts.as_slice() else {
                return None;
            };
            if schema != "pg_catalog" {
                return None;
            }
            let qualifier = match alias {
                Some(a) => a.name.value.to_ascii_lowercase(),
                None => format!("pg_catalog.{table}"),
            };
            out.push(Relation {
                qualifier,
                table: table.clone(),
            });
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `expr` is a qualified column of none of `local` (unqualified ones count as local).
fn is_outer_column(expr: &Expr, local: &[Relation]) -> bool {
    let Expr::CompoundIdentifier(idents) = expr else {
        return false;
    };
    let Some((_, qualifier)) = idents.split_last() else {
        return false;
    };
    if qualifier.is_empty() {
        return false;
    }
    let q = qualifier
        .iter()
        .map(|i| i.value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".");
    !local.iter().any(|r| r.qualifier == q || r.table == q)
}

/// Whether `node` uses outer columns, and whether it uses local ones.
fn column_refs(node: &impl Visit, local: &[Relation]) -> (bool, bool) {
    let (mut outer, mut inner) = (false, false);
    let _ = visit_expressions(node, |e| {
        match e {
            Expr::CompoundIdentifier(_) if is_outer_column(e, local) => outer = true,
            Expr::CompoundIdentifier(_) | Expr::Identifier(_) => inner = true,
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    (outer, inner)
}

fn conjuncts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        Expr::Nested(inner) => conjuncts(inner, out),
        _ => out.push(e),
    }
}

fn has_aggregate(expr: &Expr) -> bool {
    let mut found = false;
    let _ = visit_expressions(expr, |e| {
        if let Expr::Function(f) = e {
            if let Some(name) = f.name.0.last().and_then(|p| p.as_ident()) {
                found |= AGGREGATES.contains(&name.value.to_ascii_lowercase().as_str());
            }
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::super::rewrite_sql;

    /// SQLAlchemy 2.1.9's `Inspector.get_columns` query as psycopg 3 sends it.
    const SQLA_GET_COLUMNS: &str = include_str!("../testdata/sqlalchemy_get_columns.sql");

    #[test]
    fn decorrelates_sqlalchemy_column_reflection() {
        let out = rewrite_sql(SQLA_GET_COLUMNS).unwrap();
        assert!(out.contains("NULL = $3::VARCHAR"), "{out}");
        assert!(
            out.contains("pg_get_serial_sequence(CAST(CAST(NULL AS REGCLASS) AS TEXT), NULL)"),
            "{out}"
        );
        assert!(
            out.contains("max(pg_catalog.pg_type.typcollation)"),
            "{out}"
        );
        assert!(out.contains("max(json_build_object($12::VARCHAR"), "{out}");
        for n in 1..=21 {
            assert!(out.contains(&format!("${n}::")), "${n} lost: {out}");
        }
    }

    #[test]
    fn leaves_other_subqueries_alone() {
        let user_table =
            "SELECT (SELECT b FROM t WHERE t.a = pg_catalog.pg_class.oid) FROM pg_catalog.pg_class";
        assert_eq!(rewrite_sql(user_table), None);
        let uncorrelated =
            "SELECT (SELECT max(oid) FROM pg_catalog.pg_type) FROM pg_catalog.pg_class";
        assert_eq!(rewrite_sql(uncorrelated), None);
    }
}
