//! `information_schema.columns` with PostgreSQL's 1-based `ordinal_position` and type names.
//!
//! DataFusion numbers columns from 0, the SQL standard and PostgreSQL from 1, and tools that
//! sort or join on the position (or show it) expect the latter. DataFusion's `data_type` is
//! Arrow's name (`Int64`, `Utf8View`, `Decimal128(15, 2)`); PostgreSQL's is `bigint`, `text`,
//! `numeric`, which is what tools map to their own types. The table is replaced by a derived
//! table over DataFusion's own under the same name or alias, so every other column and every
//! query shape is unchanged.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, Statement, TableAlias, TableFactor, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// DataFusion's columns, in its order, with the position shifted and PostgreSQL's type names
/// (`ARRAY` and `USER-DEFINED` for lists and structs or maps, as PostgreSQL says for arrays and
/// composite types).
const SHIFTED: &str = "SELECT table_catalog, table_schema, table_name, column_name, \
     CAST(ordinal_position + 1 AS INTEGER) AS ordinal_position, column_default, is_nullable, \
     CASE \
       WHEN data_type IN ('Int8', 'Int16', 'UInt8') THEN 'smallint' \
       WHEN data_type IN ('Int32', 'UInt16') THEN 'integer' \
       WHEN data_type IN ('Int64', 'UInt32') THEN 'bigint' \
       WHEN data_type = 'UInt64' OR data_type LIKE 'Decimal%' THEN 'numeric' \
       WHEN data_type IN ('Float16', 'Float32') THEN 'real' \
       WHEN data_type = 'Float64' THEN 'double precision' \
       WHEN data_type IN ('Utf8', 'Utf8View', 'LargeUtf8') THEN 'text' \
       WHEN data_type IN ('Binary', 'BinaryView', 'LargeBinary') THEN 'bytea' \
       WHEN data_type = 'Boolean' THEN 'boolean' \
       WHEN data_type IN ('Date32', 'Date64') THEN 'date' \
       WHEN data_type LIKE 'Timestamp(%s)' THEN 'timestamp without time zone' \
       WHEN data_type LIKE 'Timestamp%' THEN 'timestamp with time zone' \
       WHEN data_type LIKE 'List%' OR data_type LIKE 'LargeList%' \
         OR data_type LIKE 'FixedSizeList%' THEN 'ARRAY' \
       WHEN data_type LIKE 'Struct%' OR data_type LIKE 'Map%' THEN 'USER-DEFINED' \
       WHEN data_type LIKE 'Time32%' OR data_type LIKE 'Time64%' THEN 'time without time zone' \
       WHEN data_type LIKE 'Interval%' OR data_type LIKE 'Duration%' THEN 'interval' \
       WHEN data_type LIKE 'FixedSizeBinary%' THEN 'bytea' \
       WHEN data_type LIKE 'Dictionary(%Utf8%)' THEN 'text' \
       ELSE data_type END AS data_type, \
     character_maximum_length, \
     CAST(CASE WHEN data_type = 'Utf8View' THEN 2147483647 ELSE character_octet_length END \
       AS BIGINT) AS character_octet_length, numeric_precision, \
     numeric_precision_radix, numeric_scale, datetime_precision, interval_type \
     FROM information_schema.columns";

/// Whether `sql` may name `information_schema.columns` (a cheap test before parsing).
pub(super) fn mentions(lower_sql: &str) -> bool {
    lower_sql.contains("information_schema") && lower_sql.contains("columns")
}

/// Replaces each `information_schema.columns` in `stmts`; whether any was.
pub(super) fn shift_ordinal_positions(stmts: &mut [Statement]) -> bool {
    let mut visitor = Shift { changed: false };
    for stmt in stmts.iter_mut() {
        let _ = stmt.visit(&mut visitor);
    }
    visitor.changed
}

struct Shift {
    changed: bool,
}

impl VisitorMut for Shift {
    type Break = ();

    // After the children, so the replacement's own reference is not visited again.
    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table { name, alias, .. } = factor else {
            return ControlFlow::Continue(());
        };
        if !is_columns_table(name) {
            return ControlFlow::Continue(());
        }
        let Some(subquery) = shifted_query() else {
            return ControlFlow::Continue(());
        };
        let alias = alias.take().unwrap_or_else(|| TableAlias {
            explicit: true,
            name: Ident::new("columns"),
            columns: vec![],
            at: None,
        });
        *factor = TableFactor::Derived {
            lateral: false,
            subquery,
            alias: Some(alias),
            sample: None,
        };
        self.changed = true;
        ControlFlow::Continue(())
    }
}

/// `information_schema.columns`, optionally with a catalog in front, in any case.
fn is_columns_table(name: &ObjectName) -> bool {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.to_ascii_lowercase()))
        .collect();
    parts.len() == name.0.len()
        && matches!(parts.as_slice(), [.., s, t] if s == "information_schema" && t == "columns")
        && parts.len() <= 3
}

fn shifted_query() -> Option<Box<datafusion::sql::sqlparser::ast::Query>> {
    match Parser::parse_sql(&PostgreSqlDialect {}, SHIFTED)
        .ok()?
        .pop()?
    {
        Statement::Query(q) => Some(q),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::rewrite_sql;

    #[test]
    fn columns_table_gets_one_based_positions() {
        let out = rewrite_sql(
            "SELECT c.column_name FROM information_schema.columns c WHERE c.table_name = 't' \
             ORDER BY c.ordinal_position",
        )
        .unwrap();
        assert!(
            out.contains("CAST(ordinal_position + 1 AS INTEGER) AS ordinal_position"),
            "{out}"
        );
        assert!(out.contains(") c WHERE c.table_name = 't'"), "{out}");
        let star = rewrite_sql("select * from INFORMATION_SCHEMA.COLUMNS").unwrap();
        assert!(star.ends_with(") AS columns"), "{star}");
        assert_eq!(
            star.matches("information_schema.columns").count(),
            1,
            "{star}"
        );
    }

    #[test]
    fn other_tables_are_left_alone() {
        assert_eq!(rewrite_sql("SELECT * FROM information_schema.tables"), None);
        assert_eq!(rewrite_sql("SELECT columns FROM t"), None);
        assert_eq!(rewrite_sql("SELECT * FROM sales.columns"), None);
    }
}
