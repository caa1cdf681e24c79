//! A small cursor over sqlparser tokens for the Hive/Athena statements the gateway parses
//! itself. Whitespace and comments are skipped when matching but kept for `rest`, so the
//! query part of `CREATE TABLE ... AS <query>` is passed on verbatim.

use datafusion::sql::sqlparser::dialect::HiveDialect;
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::error::{Error, Result};

pub(crate) struct Cursor {
    sql: String,
    tokens: Vec<Token>,
    /// Where each token starts in `sql`.
    offsets: Vec<usize>,
    pos: usize,
}

fn is_space(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_))
}

impl Cursor {
    pub(crate) fn new(sql: &str) -> Result<Cursor> {
        let (tokens, offsets) = crate::sql_text::tokens(&HiveDialect {}, sql)?
            .into_iter()
            .unzip();
        Ok(Cursor {
            sql: sql.to_string(),
            tokens,
            offsets,
            pos: 0,
        })
    }

    fn skip_space(&mut self) {
        while self.tokens.get(self.pos).is_some_and(is_space) {
            self.pos += 1;
        }
    }

    /// Where the cursor is, for [`Cursor::rewind`].
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Goes back to a [`Cursor::position`].
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub(crate) fn peek(&mut self) -> Option<&Token> {
        self.skip_space();
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        self.skip_space();
        let t = self.tokens.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub(crate) fn error(&mut self, what: &str) -> Error {
        let found = self
            .peek()
            .map(|t| format!("\"{t}\""))
            .unwrap_or_else(|| "end of input".into());
        Error::Syntax(format!("expected {what}, found {found}"))
    }

    /// Whether a keyword (any case, unquoted: a quoted `"partition"` is a name) is next.
    pub(crate) fn at_keyword(&mut self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w))
            if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    /// Consumes a keyword (any case) if it is next.
    pub(crate) fn keyword(&mut self, kw: &str) -> bool {
        let at = self.at_keyword(kw);
        if at {
            self.pos += 1;
        }
        at
    }

    /// Consumes a sequence of keywords if all of them are next.
    pub(crate) fn keywords(&mut self, kws: &[&str]) -> bool {
        let save = self.pos;
        if kws.iter().all(|k| self.keyword(k)) {
            true
        } else {
            self.pos = save;
            false
        }
    }

    pub(crate) fn expect_keyword(&mut self, kw: &str) -> Result<()> {
        if self.keyword(kw) {
            Ok(())
        } else {
            Err(self.error(kw))
        }
    }

    pub(crate) fn token(&mut self, t: &Token) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, t: &Token) -> Result<()> {
        if self.token(t) {
            Ok(())
        } else {
            Err(self.error(&format!("\"{t}\"")))
        }
    }

    /// An identifier, lower-cased unless quoted.
    pub(crate) fn ident(&mut self) -> Result<String> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let v = if w.quote_style.is_some() {
                    w.value.clone()
                } else {
                    w.value.to_lowercase()
                };
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error("a name")),
        }
    }

    /// `name` or `db.name`.
    pub(crate) fn object_name(&mut self) -> Result<(Option<String>, String)> {
        let first = self.ident()?;
        if self.token(&Token::Period) {
            Ok((Some(first), self.ident()?))
        } else {
            Ok((None, first))
        }
    }

    pub(crate) fn string(&mut self) -> Result<String> {
        match self.peek() {
            Some(Token::SingleQuotedString(s)) | Some(Token::DoubleQuotedString(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.error("a quoted string")),
        }
    }

    /// A literal value as text: a string, a number or a bare word.
    pub(crate) fn value(&mut self) -> Result<String> {
        let negative = self.token(&Token::Minus);
        let v = match self.next() {
            Some(Token::SingleQuotedString(s)) | Some(Token::DoubleQuotedString(s)) => s,
            Some(Token::Number(n, _)) => n,
            Some(Token::Word(w)) => w.value,
            _ => return Err(Error::Syntax("expected a value".into())),
        };
        Ok(if negative { format!("-{v}") } else { v })
    }

    /// `('k' = 'v', ...)` as used by TBLPROPERTIES and SERDEPROPERTIES.
    pub(crate) fn string_pairs(&mut self) -> Result<Vec<(String, String)>> {
        self.expect(&Token::LParen)?;
        let mut out = Vec::new();
        if self.token(&Token::RParen) {
            return Ok(out);
        }
        loop {
            let k = self.string()?;
            self.expect(&Token::Eq)?;
            out.push((k, self.string()?));
            if !self.token(&Token::Comma) {
                break;
            }
        }
        self.expect(&Token::RParen)?;
        Ok(out)
    }

    pub(crate) fn at_end(&mut self) -> bool {
        while self.token(&Token::SemiColon) {}
        self.peek().is_none()
    }

    pub(crate) fn expect_end(&mut self) -> Result<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error("end of statement"))
        }
    }

    /// The remaining text, verbatim.
    pub(crate) fn rest(&mut self) -> String {
        self.skip_space();
        let start = self
            .offsets
            .get(self.pos)
            .copied()
            .unwrap_or(self.sql.len());
        self.pos = self.tokens.len();
        let text = &self.sql[start..];
        text.trim().trim_end_matches(';').trim().to_string()
    }

    /// A column type, PostgreSQL names turned into Hive's (`text` → `string`).
    pub(crate) fn column_type(&mut self) -> Result<String> {
        Ok(crate::hive_types::hive_spelling(&self.hive_type()?))
    }

    /// A type written as Hive spells it (`decimal(10,2)`, `array<struct<a:int>>`), as text.
    pub(crate) fn hive_type(&mut self) -> Result<String> {
        let mut out = String::new();
        let mut depth = 0i32;
        while let Some(t) = self.peek().cloned() {
            match &t {
                Token::Comma | Token::RParen if depth == 0 => break,
                Token::Word(w)
                    if depth == 0 && !out.is_empty() && w.value.eq_ignore_ascii_case("comment") =>
                {
                    break
                }
                Token::Lt | Token::LParen => depth += 1,
                Token::Gt | Token::RParen => depth -= 1,
                Token::ShiftRight => depth -= 2,
                _ => {}
            }
            self.pos += 1;
            // Words stay apart (`array<double precision>`); everything else is written tight.
            if matches!(t, Token::Word(_))
                && out.ends_with(|c: char| c.is_alphanumeric() || c == ')')
            {
                out.push(' ');
            }
            out.push_str(&t.to_string());
            let closed = matches!(t, Token::RParen | Token::Gt | Token::ShiftRight);
            if depth == 0
                && (closed || matches!(t, Token::Word(_)))
                && !matches!(self.peek(), Some(Token::Lt | Token::LParen))
            {
                // A complete type (`int`, `varchar(50)`, `array<int>`), unless a longer name
                // goes on (`double precision`, `character varying(20)`,
                // `timestamp(3) without time zone`).
                const GOES_ON: [&str; 7] = [
                    "precision",
                    "varying",
                    "with",
                    "without",
                    "local",
                    "time",
                    "zone",
                ];
                let goes_on = matches!(self.peek(), Some(Token::Word(w))
                    if w.quote_style.is_none()
                        && GOES_ON.iter().any(|g| w.value.eq_ignore_ascii_case(g)));
                if !goes_on {
                    break;
                }
            }
        }
        if out.is_empty() || depth != 0 {
            return Err(Error::Syntax(format!("bad column type {out:?}")));
        }
        Ok(out.to_lowercase())
    }
}
