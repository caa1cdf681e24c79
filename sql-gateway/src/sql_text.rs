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
