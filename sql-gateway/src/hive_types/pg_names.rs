//! PostgreSQL type names in `CREATE TABLE`, spelled as Hive types. Tools that speak
//! PostgreSQL (SQLAlchemy, pandas' `to_sql`, dbt) create tables with `TEXT`, `INTEGER`,
//! `TIMESTAMP WITHOUT TIME ZONE`, `NUMERIC(10, 2)`; the catalog stores the Hive names, which
//! Spark, Trino and Hive parse.
//!
//! `float` stays Hive's 4-byte float, as in Hive DDL; `float(p)` follows PostgreSQL (up to 24
//! bits of precision a float, above a double). A bare `numeric` (any precision in PostgreSQL)
//! becomes `decimal(38,18)` rather than Hive's `decimal`, which is `decimal(10,0)` and would
//! drop every fraction. Hive has no time zone type: `timestamptz` becomes `timestamp`. Hive
//! and Spark need a length for `varchar` and `char`: a bare `varchar` (unlimited in
//! PostgreSQL) becomes `string`, a bare `char` is PostgreSQL's `char(1)`.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Single-word PostgreSQL names and their Hive names.
const WORDS: &[(&str, &str)] = &[
    ("integer", "int"),
    ("int4", "int"),
    ("int8", "bigint"),
    ("int2", "smallint"),
    ("float4", "float"),
    ("real", "float"),
    ("float8", "double"),
    ("text", "string"),
    ("bool", "boolean"),
    ("bytea", "binary"),
    ("timestamptz", "timestamp"),
    ("json", "string"),
    ("jsonb", "string"),
    ("uuid", "string"),
    ("character", "char"),
    ("bpchar", "char"),
];

/// Multi-word names (words separated by single spaces once normalised).
const PHRASES: &[(&str, &str)] = &[
    ("double precision", "double"),
    ("character varying", "varchar"),
    ("timestamp without time zone", "timestamp"),
    ("timestamp with time zone", "timestamp"),
    ("timestamp with local time zone", "timestamp"),
];

static PHRASE_PATTERNS: LazyLock<Vec<(Regex, &str)>> = LazyLock::new(|| {
    PHRASES
        .iter()
        .map(|(phrase, hive)| {
            let pattern = format!(r"\b{}\b", phrase.replace(' ', r"\s+"));
            (Regex::new(&pattern).expect("a constant pattern"), *hive)
        })
        .collect()
});

/// `timestamp(p)`: Hive's timestamps have no declared precision.
static TIMESTAMP_DIGITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\btimestamp\s*\(\s*\d+\s*\)").expect("a constant pattern"));

/// `float(p)`, with its precision in bits.
static FLOAT_BITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bfloat\s*\(\s*(\d+)\s*\)").expect("a constant pattern"));

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[a-z_][a-z0-9_]*\b").expect("a constant pattern"));

/// `type_text` with PostgreSQL's names replaced by Hive's, lower case; a Hive type comes back
/// unchanged apart from case and spacing. Struct field names (a word before `:`) are kept.
pub(crate) fn hive_spelling(type_text: &str) -> String {
    let lower = type_text.trim().to_ascii_lowercase();
    let mut text = TIMESTAMP_DIGITS
        .replace_all(&lower, "timestamp")
        .into_owned();
    for (pattern, hive) in PHRASE_PATTERNS.iter() {
        text = pattern.replace_all(&text, *hive).into_owned();
    }
    let text = FLOAT_BITS.replace_all(&text, |c: &Captures| match c[1].parse::<u32>() {
        Ok(bits) if bits <= 24 => "float",
        _ => "double",
    });
    WORD.replace_all(&text, |c: &Captures| {
        c.get(0).map_or_else(String::new, |m| {
            let next = text[m.end()..].trim_start().chars().next();
            hive_word(m.as_str(), next)
        })
    })
    .into_owned()
}

/// The Hive name of one word of a type, given the character after it.
fn hive_word(word: &str, next: Option<char>) -> String {
    if next == Some(':') {
        return word.to_string();
    }
    match word {
        "numeric" if next == Some('(') => "decimal".into(),
        "numeric" => "decimal(38,18)".into(),
        // Hive and Spark need a length: PostgreSQL's `varchar` has none, its `char` is one.
        "varchar" if next != Some('(') => "string".into(),
        "char" | "character" | "bpchar" if next != Some('(') => "char(1)".into(),
        w => WORDS
            .iter()
            .find(|(pg, _)| *pg == w)
            .map_or(w, |(_, hive)| hive)
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_names_become_hive_names() {
        for (pg, hive) in [
            ("TEXT", "string"),
            ("INTEGER", "int"),
            ("BIGINT", "bigint"),
            ("SMALLINT", "smallint"),
            ("FLOAT", "float"),
            ("FLOAT(53)", "double"),
            ("float(10)", "float"),
            ("DOUBLE PRECISION", "double"),
            ("REAL", "float"),
            ("BOOLEAN", "boolean"),
            ("bool", "boolean"),
            ("VARCHAR(20)", "varchar(20)"),
            ("CHARACTER VARYING(20)", "varchar(20)"),
            ("character(3)", "char(3)"),
            ("VARCHAR", "string"),
            ("character varying", "string"),
            ("char", "char(1)"),
            ("NUMERIC(10, 2)", "decimal(10, 2)"),
            ("NUMERIC", "decimal(38,18)"),
            ("TIMESTAMP WITHOUT TIME ZONE", "timestamp"),
            ("timestamp  with time zone", "timestamp"),
            ("timestamptz", "timestamp"),
            ("TIMESTAMP(6) WITHOUT TIME ZONE", "timestamp"),
            ("bytea", "binary"),
            ("jsonb", "string"),
            ("array<integer>", "array<int>"),
            (
                "struct<text:text,n:numeric(5,1)>",
                "struct<text:string,n:decimal(5,1)>",
            ),
            (
                "map<string,array<double precision>>",
                "map<string,array<double>>",
            ),
            ("decimal(7,3)", "decimal(7,3)"),
            ("textual", "textual"),
        ] {
            assert_eq!(hive_spelling(pg), hive, "{pg}");
        }
    }
}
