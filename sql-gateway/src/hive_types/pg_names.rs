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

/// `type_text` with PostgreSQL's names replaced by Hive's, lower case; a Hive type comes back
/// unchanged apart from case and spacing. Struct field names (a word before `:`) are kept.
pub(crate) fn hive_spelling(type_text: &str) -> String {
    let mut text = type_text.trim().to_ascii_lowercase();
    for (phrase, hive) in PHRASES {
        text = replace_phrase(&text, phrase, hive);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_word_char(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_word_char(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let next = chars[i..].iter().find(|c| !c.is_whitespace()).copied();
        out.push_str(&hive_word(&word, next, &chars[i..]));
        if word == "float" && next == Some('(') {
            // `float(p)`: the precision is consumed with the name.
            while i < chars.len() && chars[i] != ')' {
                i += 1;
            }
            i += 1;
        }
    }
    out
}

/// The Hive name of one word of a type, given the character after it (`rest` follows it).
fn hive_word(word: &str, next: Option<char>, rest: &[char]) -> String {
    if next == Some(':') {
        return word.to_string();
    }
    match word {
        "numeric" if next == Some('(') => "decimal".into(),
        "numeric" => "decimal(38,18)".into(),
        // Hive and Spark need a length: PostgreSQL's `varchar` has none, its `char` is one.
        "varchar" if next != Some('(') => "string".into(),
        "char" | "character" | "bpchar" if next != Some('(') => "char(1)".into(),
        "float" if next == Some('(') => {
            let inside: String = rest
                .iter()
                .skip_while(|c| **c != '(')
                .skip(1)
                .take_while(|c| **c != ')')
                .collect();
            match inside.trim().parse::<u32>() {
                Ok(bits) if bits <= 24 => "float".into(),
                _ => "double".into(),
            }
        }
        w => WORDS
            .iter()
            .find(|(pg, _)| *pg == w)
            .map_or(w, |(_, hive)| hive)
            .to_string(),
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `text` with each whole-word occurrence of `phrase` (any run of spaces between its words)
/// replaced by `hive`.
fn replace_phrase(text: &str, phrase: &str, hive: &str) -> String {
    let words: Vec<&str> = phrase.split(' ').collect();
    let mut out = String::new();
    let mut rest = text;
    'scan: while !rest.is_empty() {
        let starts_word = out.chars().last().is_none_or(|c| !is_word_char(c));
        if starts_word {
            let mut tail = rest;
            for (n, w) in words.iter().enumerate() {
                if n > 0 {
                    let trimmed = tail.trim_start();
                    if trimmed.len() == tail.len() {
                        break;
                    }
                    tail = trimmed;
                }
                match tail.strip_prefix(w) {
                    Some(after) => tail = after,
                    None => break,
                }
                let ends_word = tail.chars().next().is_none_or(|c| !is_word_char(c));
                if n + 1 == words.len() && ends_word {
                    out.push_str(hive);
                    rest = tail;
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
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
