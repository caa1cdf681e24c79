//! SQL text cut by its tokens. Where the gateway splits a statement or hands part of one on,
//! it cuts the client's own text at token boundaries: rendering sqlparser's tokens back to
//! text would lose their quoting (the string `it's`, written `'it''s'`, renders as
//! `'it's'`).

use datafusion::sql::sqlparser::dialect::Dialect;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer, TokenizerError};

/// The tokens of `sql`, each with the byte offset in `sql` where it starts.
pub(crate) fn tokens(
    dialect: &dyn Dialect,
    sql: &str,
) -> Result<Vec<(Token, usize)>, TokenizerError> {
    let spans = Tokenizer::new(dialect, sql).tokenize_with_location()?;
    let lines: Vec<usize> = std::iter::once(0)
        .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |at: Location| -> usize {
        let line = usize::try_from(at.line)
            .unwrap_or(usize::MAX)
            .saturating_sub(1);
        let Some(&start) = lines.get(line) else {
            return sql.len();
        };
        let column = usize::try_from(at.column)
            .unwrap_or(usize::MAX)
            .saturating_sub(1);
        sql[start..]
            .char_indices()
            .nth(column)
            .map_or(sql.len(), |(i, _)| start + i)
    };
    Ok(spans
        .into_iter()
        .map(|t| (t.token, offset(t.span.start)))
        .collect())
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
