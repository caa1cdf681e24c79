//! Databases and tables.

use super::Handler;
use crate::error::Error;
use crate::model::{AlterTableOptions, Column, Table};
use crate::thrift::convert::{self as cv, db_name};
use crate::thrift::errors::to_wire;
use crate::thrift::throws as th;
use thrift_idl::hms as t;

impl Handler {
    pub(super) fn create_database(&self, d: t::Database) -> thrift::Result<()> {
        let db = cv::database_from(d).map_err(|e| to_wire(e, th::CREATE_DATABASE))?;
        self.run(th::CREATE_DATABASE, self.catalog.create_database(db))
    }

    pub(super) fn get_database(
        &self,
        name: &str,
        declared: &[crate::thrift::errors::Exc],
    ) -> thrift::Result<t::Database> {
        let db = self.run(declared, self.catalog.get_database(&db_name(name)))?;
        Ok(cv::database_to(db))
    }

    pub(super) fn list_databases(&self, pattern: Option<&str>) -> thrift::Result<Vec<String>> {
        self.run(th::GET_DATABASES, self.catalog.list_databases(pattern))
    }

    pub(super) fn create_table(
        &self,
        tb: t::Table,
        declared: &[crate::thrift::errors::Exc],
    ) -> thrift::Result<()> {
        let table = cv::table_from(tb).map_err(|e| to_wire(e, declared))?;
        if table.db_name.is_empty() {
            return Err(to_wire(
                Error::InvalidObject("Table.dbName is missing".into()),
                declared,
            ));
        }
        self.run(declared, self.catalog.create_table(table))
    }

    pub(super) fn get_table(
        &self,
        db: &str,
        name: &str,
        declared: &[crate::thrift::errors::Exc],
    ) -> thrift::Result<t::Table> {
        let table = self.run(declared, self.catalog.get_table(&db_name(db), name))?;
        Ok(cv::table_to(table))
    }

    pub(super) fn get_tables_by_name(
        &self,
        db: &str,
        names: Option<Vec<String>>,
    ) -> thrift::Result<Vec<t::Table>> {
        let declared = th::GET_TABLE_OBJECTS_BY_NAME;
        let db = db_name(db);
        let names = match names {
            Some(n) => n,
            None => self.run(declared, self.catalog.list_tables(&db, None, None))?,
        };
        let tables = self.run(declared, self.catalog.get_tables(&db, &names))?;
        Ok(tables.into_iter().map(cv::table_to).collect())
    }

    pub(super) fn list_tables(
        &self,
        db: &str,
        pattern: Option<&str>,
        kind: Option<&str>,
    ) -> thrift::Result<Vec<String>> {
        let db = db_name(db);
        match self
            .rt
            .block_on(self.catalog.list_tables(&db, pattern, kind))
        {
            Err(Error::NotFound(_)) => Ok(vec![]),
            other => other.map_err(|e| to_wire(e, th::GET_TABLES)),
        }
    }

    pub(super) fn table_names_by_filter(
        &self,
        db: &str,
        filter: &str,
        max: i16,
    ) -> thrift::Result<Vec<String>> {
        let declared = th::GET_TABLE_NAMES_BY_FILTER;
        let filter = TableFilter::parse(filter).map_err(|e| to_wire(e, declared))?;
        let db = db_name(db);
        let names = self.run(declared, self.catalog.list_tables(&db, None, None))?;
        let tables = self.run(declared, self.catalog.get_tables(&db, &names))?;
        let max = super::limit(max).unwrap_or(usize::MAX);
        Ok(tables
            .into_iter()
            .filter(|t| filter.matches(t))
            .map(|t| t.name)
            .take(max)
            .collect())
    }

    pub(super) fn fields(
        &self,
        db: &str,
        table: &str,
        with_keys: bool,
    ) -> thrift::Result<Vec<t::FieldSchema>> {
        let declared = th::GET_SCHEMA;
        let tb = self.run(declared, self.catalog.get_table(&db_name(db), table))?;
        let mut cols: Vec<Column> = tb.sd.columns;
        if with_keys {
            cols.extend(tb.partition_keys);
        }
        Ok(cv::columns_to(cols))
    }

    pub(super) fn alter_table(
        &self,
        db: &str,
        name: &str,
        tb: t::Table,
        env: Option<&t::EnvironmentContext>,
        expected: Option<(String, String)>,
        declared: &[crate::thrift::errors::Exc],
    ) -> thrift::Result<()> {
        let table: Table = cv::table_from(tb).map_err(|e| to_wire(e, declared))?;
        let props = cv::params(&env.cloned());
        let cascade = props
            .get("CASCADE")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let expected = expected.or_else(|| {
            Some((
                props.get("expected_parameter_key")?.clone(),
                props.get("expected_parameter_value")?.clone(),
            ))
        });
        let opts = AlterTableOptions {
            cascade,
            expected_parameter: expected,
        };
        self.run(
            declared,
            self.catalog.alter_table(&db_name(db), name, table, &opts),
        )
    }
}

/// The table filter of `get_table_names_by_filter`: conjunctions of
/// `hive_filter_field_tableName__ like "regex"`, `hive_filter_field_owner__ = "x"` and
/// `hive_filter_field_params__<key> = | <> "value"`.
struct TableFilter(Vec<(String, TableOp)>);

/// One comparison of a table filter, its `LIKE` pattern compiled once.
enum TableOp {
    Like(Option<regex::Regex>),
    Eq(String),
    Ne(String),
}

/// The grammar's two regexes, compiled on first use.
fn filter_syntax() -> &'static (regex::Regex, regex::Regex) {
    static SYNTAX: std::sync::OnceLock<(regex::Regex, regex::Regex)> = std::sync::OnceLock::new();
    SYNTAX.get_or_init(|| {
        let term = r#"(?i)^\s*(hive_filter_field_\w+)\s*(=|<>|!=|like)\s*("((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*$"#;
        let and = r"(?i)\s+and\s+";
        // Both patterns are fixed and valid; a failure here is a bug caught by the tests.
        (regex::Regex::new(term).unwrap_or_else(|e| panic!("{e}")), regex::Regex::new(and).unwrap_or_else(|e| panic!("{e}")))
    })
}

impl TableFilter {
    fn parse(filter: &str) -> crate::Result<Self> {
        let (re, split) = filter_syntax();
        let mut terms = Vec::new();
        for part in split.split(filter).filter(|p| !p.trim().is_empty()) {
            let bad = || Error::InvalidInput(format!("Error parsing table filter: {part}"));
            let c = re.captures(part).ok_or_else(bad)?;
            let value = c
                .get(4)
                .or(c.get(5))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default();
            let op = match c[2].to_ascii_lowercase().as_str() {
                // An invalid pattern matches nothing, as before.
                "like" => TableOp::Like(regex::Regex::new(&format!("^(?:{value})$")).ok()),
                "=" => TableOp::Eq(value),
                _ => TableOp::Ne(value),
            };
            terms.push((c[1].to_string(), op));
        }
        Ok(TableFilter(terms))
    }

    fn matches(&self, t: &Table) -> bool {
        self.0.iter().all(|(field, op)| {
            let actual = if field.eq_ignore_ascii_case("hive_filter_field_tableName__") {
                Some(t.name.as_str())
            } else if field.eq_ignore_ascii_case("hive_filter_field_owner__") {
                t.owner.as_deref()
            } else if let Some(key) = field.strip_prefix("hive_filter_field_params__") {
                t.parameters.get(key).map(String::as_str)
            } else {
                None
            };
            let actual = actual.unwrap_or("");
            match op {
                TableOp::Like(re) => re.as_ref().is_some_and(|r| r.is_match(actual)),
                TableOp::Eq(v) => actual == v,
                TableOp::Ne(v) => actual != v,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_filters_match_like_hive() {
        let mut t = Table {
            name: "sales_2024".into(),
            owner: Some("ann".into()),
            ..Default::default()
        };
        t.parameters.insert("table_type".into(), "ICEBERG".into());
        let m = |f: &str| TableFilter::parse(f).unwrap().matches(&t);
        assert!(m(r#"hive_filter_field_tableName__ like "(?i)SALES.*""#));
        assert!(!m(r#"hive_filter_field_tableName__ like "sales""#));
        assert!(m(
            r#"hive_filter_field_owner__ = "ann" and hive_filter_field_params__table_type <> 'HIVE'"#
        ));
        assert!(!m(r#"hive_filter_field_params__table_type = "HIVE""#));
        assert!(m(""));
        assert!(TableFilter::parse("tableName = x").is_err());
        assert!(
            !m(r#"hive_filter_field_tableName__ like "(""#),
            "a bad pattern matches nothing"
        );
    }
}
