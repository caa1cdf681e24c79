//! Constraints in `CREATE TABLE`, as SQLAlchemy, pandas and hand-written PostgreSQL DDL carry
//! them, and as Hive 3 writes them (`PRIMARY KEY (id) DISABLE NOVALIDATE`).
//!
//! Hive tables enforce no constraints and Lakehive keeps none: `NOT NULL`, `PRIMARY KEY`,
//! `UNIQUE` and `REFERENCES` are read as documentation, and the statement reports them back
//! in a notice. `DEFAULT`, `CHECK`, generated columns and `SERIAL` types would change what an
//! INSERT stores or accepts, so they are refused rather than silently dropped.

use datafusion::sql::sqlparser::tokenizer::Token;

use super::super::cursor::Cursor;
use crate::error::{Error, Result};

/// Words that may follow a Hive constraint and say how it is (not) enforced.
const ENFORCEMENT: [&str; 7] = [
    "enable",
    "disable",
    "validate",
    "novalidate",
    "rely",
    "norely",
    "enforced",
];

/// Refuses the parts of a column definition whose meaning Lakehive cannot keep.
fn refuse(what: &str) -> Error {
    Error::Unsupported(format!(
        "{what}: Lakehive tables store the values an INSERT gives and nothing else"
    ))
}

/// A column type Lakehive cannot honour (`serial` and kin: auto-increment).
pub(super) fn check_type(column: &str, type_name: &str) -> Result<()> {
    if type_name.ends_with("serial") || type_name.starts_with("serial") {
        return Err(refuse(&format!(
            "column \"{column}\" of type {type_name} (an auto-incrementing sequence)"
        )));
    }
    Ok(())
}

/// The constraints after a column's type, described for the notice (`NOT NULL (id)`).
pub(super) fn column(c: &mut Cursor, column: &str, out: &mut Vec<String>) -> Result<()> {
    loop {
        if c.keyword("constraint") {
            c.ident()?;
        } else if c.keywords(&["not", "null"]) {
            out.push(format!("NOT NULL ({column})"));
        } else if c.keyword("null") || enforcement(c) {
            // Says nothing Lakehive keeps.
        } else if c.keywords(&["primary", "key"]) {
            out.push(format!("PRIMARY KEY ({column})"));
        } else if c.keyword("unique") {
            out.push(format!("UNIQUE ({column})"));
        } else if c.keyword("references") {
            out.push(format!(
                "FOREIGN KEY ({column}) REFERENCES {}",
                references(c)?
            ));
        } else if c.keyword("default") {
            return Err(refuse(&format!("DEFAULT for column \"{column}\"")));
        } else if c.keyword("check") {
            return Err(refuse("CHECK"));
        } else if c.keyword("generated") {
            return Err(refuse(&format!("generated column \"{column}\"")));
        } else {
            return Ok(());
        }
    }
}

/// A table constraint where a column definition would start (`PRIMARY KEY (a, b)`,
/// `CONSTRAINT pk PRIMARY KEY (a)`, `FOREIGN KEY (a) REFERENCES t (b)`), described for the
/// notice; `None` when a column starts here.
pub(super) fn table(c: &mut Cursor) -> Result<Option<String>> {
    // `unique int` and `check int` are columns: a table constraint's list follows its word.
    let start = c.position();
    if (c.keyword("unique") || c.keyword("check")) && !matches!(c.peek(), Some(Token::LParen)) {
        c.rewind(start);
        return Ok(None);
    }
    c.rewind(start);
    let named = c.keyword("constraint");
    if named {
        c.ident()?;
    }
    let described = if c.keywords(&["primary", "key"]) {
        format!("PRIMARY KEY ({})", names(c)?)
    } else if c.keyword("unique") {
        format!("UNIQUE ({})", names(c)?)
    } else if c.keywords(&["foreign", "key"]) {
        let columns = names(c)?;
        c.expect_keyword("references")?;
        format!("FOREIGN KEY ({columns}) REFERENCES {}", references(c)?)
    } else if c.keyword("check") {
        return Err(refuse("CHECK"));
    } else if named {
        return Err(c.error("PRIMARY KEY, UNIQUE or FOREIGN KEY"));
    } else {
        return Ok(None);
    };
    while enforcement(c) {}
    Ok(Some(described))
}

/// Hive's `DISABLE NOVALIDATE RELY` and PostgreSQL's `NOT DEFERRABLE`/`INITIALLY ...`.
fn enforcement(c: &mut Cursor) -> bool {
    if ENFORCEMENT.iter().any(|w| c.keyword(w))
        || c.keywords(&["not", "enforced"])
        || c.keywords(&["not", "deferrable"])
        || c.keyword("deferrable")
    {
        return true;
    }
    c.keyword("initially") && (c.keyword("deferred") || c.keyword("immediate"))
}

/// `(a, b)` as `a, b`.
fn names(c: &mut Cursor) -> Result<String> {
    c.expect(&Token::LParen)?;
    let mut out = vec![c.ident()?];
    while c.token(&Token::Comma) {
        out.push(c.ident()?);
    }
    c.expect(&Token::RParen)?;
    Ok(out.join(", "))
}

/// What follows `REFERENCES`: the table, its optional columns and the referential actions.
fn references(c: &mut Cursor) -> Result<String> {
    let (db, name) = c.object_name()?;
    let mut target = db.map(|d| format!("{d}.{name}")).unwrap_or(name);
    if matches!(c.peek(), Some(Token::LParen)) {
        target = format!("{target} ({})", names(c)?);
    }
    loop {
        if c.keywords(&["on", "delete"]) || c.keywords(&["on", "update"]) {
            let _ = c.keywords(&["no", "action"])
                || c.keyword("restrict")
                || c.keyword("cascade")
                || c.keywords(&["set", "null"])
                || c.keywords(&["set", "default"]);
        } else if c.keyword("match") {
            c.ident()?;
        } else if !enforcement(c) {
            return Ok(target);
        }
    }
}
