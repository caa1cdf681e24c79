//! SQL text cut by its tokens. Where the gateway splits a statement or hands part of one on,
//! it cuts the client's own text at token boundaries: rendering sqlparser's tokens back to
//! text would lose their quoting (the string `it's`, written `'it''s'`, renders as
//! `'it's'`).

use datafusion::sql::sqlparser::dialect::Dialect;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer, TokenizerError};

/// The tokens of `sql`, each with the byte offset in `sql` where it starts. Tokens come in
/// order, so one walk over the text finds every offset (sqlparser counts lines from 1 at
/// each `\n`, and columns from 1 in characters).
pub(crate) fn tokens(
    dialect: &dyn Dialect,
    sql: &str,
) -> Result<Vec<(Token, usize)>, TokenizerError> {
    let spans = Tokenizer::new(dialect, sql).tokenize_with_location()?;
    let mut walk = Walk {
        chars: sql.char_indices(),
        at: Location { line: 1, column: 1 },
        byte: 0,
        len: sql.len(),
    };
    Ok(spans
        .into_iter()
        .map(|t| {
            let offset = walk.to(t.span.start);
            (t.token, offset)
        })
        .collect())
}

/// `sql` from its first token on: leading whitespace, `-- line` comments and (nested)
/// `/* block */` comments skipped. An unterminated block comment leaves nothing.
pub(crate) fn after_comments(sql: &str) -> &str {
    let mut rest = sql.trim_start();
    loop {
        if let Some(line) = rest.strip_prefix("--") {
            rest = line
                .find(['\n', '\r'])
                .map_or("", |i| &line[i + 1..])
                .trim_start();
        } else if rest.starts_with("/*") {
            let mut depth = 0usize;
            let mut i = 0;
            let bytes = rest.as_bytes();
            loop {
                match bytes.get(i..i + 2) {
                    None => return "",
                    Some(b"/*") => {
                        depth += 1;
                        i += 2;
                    }
                    Some(b"*/") => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    }
                    Some(_) => i += 1,
                }
            }
            rest = rest[i..].trim_start();
        } else {
            return rest;
        }
    }
}

/// A position moving forward through the text.
struct Walk<'a> {
    chars: std::str::CharIndices<'a>,
    /// The location of the character at `byte`.
    at: Location,
    byte: usize,
    len: usize,
}

impl Walk<'_> {
    /// The byte offset of `target`, at or after the current position.
    fn to(&mut self, target: Location) -> usize {
        let before = |a: Location| (a.line, a.column) < (target.line, target.column);
        while before(self.at) {
            let Some((_, c)) = self.chars.next() else {
                return self.len;
            };
            self.byte += c.len_utf8();
            if c == '\n' {
                self.at = Location {
                    line: self.at.line + 1,
                    column: 1,
                };
            } else {
                self.at.column += 1;
            }
        }
        self.byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_comments_finds_the_first_token() {
        assert_eq!(after_comments("  COPY x"), "COPY x");
        assert_eq!(after_comments("/**/ copy x"), "copy x");
        assert_eq!(after_comments("-- a\n /* b /* c */ d */\n\tcopy"), "copy");
        assert_eq!(after_comments("/* open"), "");
        assert_eq!(after_comments("-- only"), "");
        assert_eq!(after_comments("-- c\rcopy"), "copy");
        assert_eq!(after_comments("/* é */select"), "select");
    }
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

    #[test]
    fn offsets_point_at_each_tokens_text() {
        let sql = "SELECT 'it''s',\n  'é' || x\r\n; -- done";
        let found: Vec<&str> = tokens(&PostgreSqlDialect {}, sql)
            .unwrap()
            .into_iter()
            .filter(|(t, _)| !matches!(t, Token::Whitespace(_)))
            .map(|(_, at)| &sql[at..])
            .collect();
        let expected = ["SELECT", "'it''s'", ",", "'é'", "||", "x", ";"];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (text, token) in found.iter().zip(expected) {
            assert!(text.starts_with(token), "{text:?} for {token}");
        }
    }
}
