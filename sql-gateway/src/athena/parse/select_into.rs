//! PostgreSQL's `SELECT ... INTO name FROM ...`: a new table from a query's rows, run as the
//! CTAS `CREATE TABLE name AS SELECT ... FROM ...` (Parquet in the warehouse, registered in
//! the catalog). DataFusion would try to keep it as an in-memory table, which the catalog
//! cannot hold.

use datafusion::sql::sqlparser::ast::{
    Ident, ObjectNamePart, Query, SelectInto, SetExpr, Statement as SqlStatement,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::{Name, Statement};
use crate::error::{Error, Result};

/// The CTAS a `SELECT ... INTO` stands for; `Ok(None)` for anything else, which includes
/// text that does not parse (DataFusion then reports the syntax error).
pub(super) fn parse(sql: &str) -> Result<Option<Statement>> {
    // Most statements never name INTO: skip the second parse for them.
    let names_into = sql
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"into"));
    if !names_into {
        return Ok(None);
    }
    let Ok(mut stmts) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Ok(None);
    };
    let [SqlStatement::Query(query)] = stmts.as_mut_slice() else {
        return Ok(None);
    };
    let Some(into) = take_into(query) else {
        return Ok(None);
    };
    if into.temporary || into.unlogged {
        return Err(Error::Unsupported(
            "SELECT ... INTO TEMPORARY or UNLOGGED: every table here is in the catalog; \
             leave the word out"
                .into(),
        ));
    }
    Ok(Some(Statement::Ctas {
        table: table_name(&into)?,
        if_not_exists: false,
        options: Vec::new(),
        query: query.to_string(),
    }))
}

/// Removes the INTO clause of the query's first SELECT (PostgreSQL allows it only there).
fn take_into(query: &mut Query) -> Option<SelectInto> {
    let mut body = query.body.as_mut();
    loop {
        match body {
            SetExpr::Select(select) => return select.into.take(),
            SetExpr::SetOperation { left, .. } => body = left.as_mut(),
            _ => return None,
        }
    }
}

/// `name` or `db.name`, unquoted parts in lower case as everywhere in the gateway.
fn table_name(into: &SelectInto) -> Result<Name> {
    let parts: Vec<String> = into
        .name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Ok(normalized(ident)),
            other => Err(Error::Syntax(format!("not a table name: {other}"))),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [table] => Ok((None, table.clone())),
        [db, table] => Ok((Some(db.clone()), table.clone())),
        _ => Err(Error::Syntax(format!(
            "SELECT ... INTO names a table as name or database.name, not {}",
            into.name
        ))),
    }
}

fn normalized(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctas(sql: &str) -> (Name, String) {
        match parse(sql).unwrap() {
            Some(Statement::Ctas {
                table,
                if_not_exists: false,
                options,
                query,
            }) if options.is_empty() => (table, query),
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn select_into_is_a_ctas_of_the_query_without_into() {
        let (table, query) = ctas("SELECT a, b INTO Sales.Copy FROM t WHERE a > 1");
        assert_eq!(table, (Some("sales".into()), "copy".into()));
        assert_eq!(query, "SELECT a, b FROM t WHERE a > 1");
        let (table, query) = ctas("select 1 as x into table \"Mixed\" union all select 2");
        assert_eq!(table, (None, "Mixed".into()));
        assert_eq!(query, "SELECT 1 AS x UNION ALL SELECT 2");
    }

    #[test]
    fn other_statements_are_left_alone() {
        for sql in [
            "SELECT 1",
            "SELECT 'into' AS word",
            "INSERT INTO t SELECT 1",
            "SELECT * FROM (SELECT 1) AS into_x",
            "SELEKT 1 INTO t",
        ] {
            assert!(matches!(parse(sql), Ok(None)), "{sql}");
        }
    }

    #[test]
    fn temporary_tables_and_long_names_are_refused() {
        assert!(matches!(
            parse("SELECT 1 INTO TEMPORARY t"),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(
            parse("SELECT 1 INTO a.b.c"),
            Err(Error::Syntax(_))
        ));
    }
}
