//! Lexer and recursive-descent parser for the filter grammar documented in `filter.rs`.

use super::{Expr, Literal, Op};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Date(String),
    Op(Op),
    LParen,
    RParen,
    Comma,
}

fn err(msg: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("Error parsing partition filter: {msg}"))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn lex(input: &str) -> Result<Vec<Tok>> {
    let chars: Vec<char> = input.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => (toks.push(Tok::LParen), i += 1).1,
            ')' => (toks.push(Tok::RParen), i += 1).1,
            ',' => (toks.push(Tok::Comma), i += 1).1,
            '\'' | '"' => {
                let (s, next) = lex_string(&chars, i, c)?;
                toks.push(Tok::Str(s));
                i = next;
            }
            '=' | '<' | '>' | '!' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let (op, len) = match two.as_str() {
                    "<=" => (Op::Le, 2),
                    ">=" => (Op::Ge, 2),
                    "<>" | "!=" => (Op::Ne, 2),
                    _ => match c {
                        '=' => (Op::Eq, 1),
                        '<' => (Op::Lt, 1),
                        '>' => (Op::Gt, 1),
                        _ => return Err(err(format!("unexpected '{c}' at {i}"))),
                    },
                };
                toks.push(Tok::Op(op));
                i += len;
            }
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-')
                {
                    i += 1;
                }
                toks.push(word(chars[start..i].iter().collect())?);
            }
            _ => return Err(err(format!("unexpected '{c}' at {i}"))),
        }
    }
    Ok(toks)
}

fn word(w: String) -> Result<Tok> {
    if is_date(&w) {
        return Ok(Tok::Date(w));
    }
    let digits = w.strip_prefix('-').unwrap_or(&w);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return w
            .parse()
            .map(Tok::Int)
            .map_err(|_| err(format!("integer out of range: {w}")));
    }
    if w.starts_with(['-', '_']) || w.contains('-') {
        return Err(err(format!("bad identifier '{w}'")));
    }
    if w.eq_ignore_ascii_case("like") {
        return Ok(Tok::Op(Op::Like));
    }
    Ok(Tok::Ident(w))
}

/// A string literal from the quote at `start` to the next quote of the same kind. There are no
/// escapes (Hive's `Filter.g` has none, and Spark sends values raw).
fn lex_string(chars: &[char], start: usize, quote: char) -> Result<(String, usize)> {
    let body = chars.get(start + 1..).unwrap_or_default();
    match body.iter().position(|&c| c == quote) {
        Some(len) => Ok((body[..len].iter().collect(), start + len + 2)),
        None => Err(err("unterminated string literal")),
    }
}

/// How deeply parentheses and `NOT` may nest. Each level costs a few stack frames when parsing,
/// binding, evaluating and dropping the expression; 200 levels stay far inside the 2 MB stack
/// of a connection thread, and are far more than any real filter uses.
pub(crate) const MAX_DEPTH: usize = 200;

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Parentheses and `NOT`s open around the current position.
    depth: usize,
}

/// Parses a filter; an empty or blank filter matches everything.
pub(crate) fn parse(input: &str) -> Result<Expr> {
    let toks = lex(input)?;
    if toks.is_empty() {
        return Ok(Expr::True);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    match p.peek() {
        None => Ok(e),
        Some(t) => Err(err(format!(
            "unexpected {t:?} after the end of the expression"
        ))),
    }
}

/// One term alone, or the n-ary `make` of several (already flattened) terms.
fn junction(mut terms: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Expr {
    match terms.len() {
        1 => terms.pop().unwrap_or(Expr::True),
        _ => make(terms),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Tok> {
        self.toks.get(self.pos + ahead)
    }

    fn next(&mut self) -> Result<Tok> {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| err("unexpected end"))?;
        self.pos += 1;
        Ok(t)
    }

    fn is_kw(&self, ahead: usize, kw: &str) -> bool {
        matches!(self.peek_at(ahead), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(0, kw);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, want: &Tok) -> Result<()> {
        match self.next()? {
            ref t if t == want => Ok(()),
            t => Err(err(format!("expected {want:?}, found {t:?}"))),
        }
    }

    fn or(&mut self) -> Result<Expr> {
        let mut terms = Vec::new();
        loop {
            match self.and()? {
                Expr::Or(inner) => terms.extend(inner),
                e => terms.push(e),
            }
            if !self.eat_kw("or") {
                return Ok(junction(terms, Expr::Or));
            }
        }
    }

    fn and(&mut self) -> Result<Expr> {
        let mut terms = Vec::new();
        loop {
            match self.not()? {
                Expr::And(inner) => terms.extend(inner),
                e => terms.push(e),
            }
            if !self.eat_kw("and") {
                return Ok(junction(terms, Expr::And));
            }
        }
    }

    fn not(&mut self) -> Result<Expr> {
        if self.eat_kw("not") {
            let e = self.nested(Self::not)?;
            return Ok(Expr::Not(Box::new(e)));
        }
        if self.peek() == Some(&Tok::LParen) {
            if let Some(in_expr) = self.try_paren_in()? {
                return Ok(in_expr);
            }
            self.pos += 1;
            let e = self.nested(Self::or)?;
            self.expect(&Tok::RParen)?;
            return Ok(e);
        }
        self.leaf()
    }

    /// Parses with `f` one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested(&mut self, f: fn(&mut Self) -> Result<Expr>) -> Result<Expr> {
        if self.depth >= MAX_DEPTH {
            return Err(err(format!(
                "over {MAX_DEPTH} levels of parentheses or NOT: the filter is too deeply nested"
            )));
        }
        self.depth += 1;
        let e = f(self);
        self.depth -= 1;
        e
    }

    /// `(key) [NOT] IN (...)` and `(STRUCT(k, ...)) [NOT] IN (CONST STRUCT(...), ...)`.
    fn try_paren_in(&mut self) -> Result<Option<Expr>> {
        let start = self.pos;
        let keys = if self.is_kw(1, "struct") && self.peek_at(2) == Some(&Tok::LParen) {
            self.pos += 3;
            let keys = self.ident_list()?;
            self.expect(&Tok::RParen)?;
            self.expect(&Tok::RParen)?;
            keys
        } else if let (Some(Tok::Ident(k)), Some(Tok::RParen)) = (self.peek_at(1), self.peek_at(2))
        {
            let k = k.clone();
            self.pos += 3;
            return self.in_tail(vec![k], start);
        } else {
            return Ok(None);
        };
        self.in_tail(keys, start)
    }

    fn in_tail(&mut self, keys: Vec<String>, start: usize) -> Result<Option<Expr>> {
        let negated = self.eat_kw("not");
        if !self.eat_kw("in") {
            self.pos = start;
            return Ok(None);
        }
        let e = self.in_list(keys)?;
        Ok(Some(if negated { Expr::Not(Box::new(e)) } else { e }))
    }

    fn ident_list(&mut self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        loop {
            match self.next()? {
                Tok::Ident(k) => out.push(k),
                t => return Err(err(format!("expected a column name, found {t:?}"))),
            }
            if self.peek() != Some(&Tok::Comma) {
                return Ok(out);
            }
            self.pos += 1;
        }
    }

    fn in_list(&mut self, keys: Vec<String>) -> Result<Expr> {
        self.expect(&Tok::LParen)?;
        let mut rows = Vec::new();
        loop {
            if keys.len() > 1 || self.is_kw(0, "const") {
                self.eat_kw("const");
                if !self.eat_kw("struct") {
                    return Err(err("expected STRUCT(...) in a multi-column IN list"));
                }
                self.expect(&Tok::LParen)?;
                rows.push(self.literal_list()?);
                self.expect(&Tok::RParen)?;
            } else {
                rows.push(vec![self.literal()?]);
            }
            match self.next()? {
                Tok::Comma => continue,
                Tok::RParen => return Ok(Expr::In { keys, rows }),
                t => return Err(err(format!("expected ',' or ')' in IN list, found {t:?}"))),
            }
        }
    }

    fn literal_list(&mut self) -> Result<Vec<Literal>> {
        let mut out = vec![self.literal()?];
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            out.push(self.literal()?);
        }
        Ok(out)
    }

    fn try_literal(&mut self) -> Option<Literal> {
        let lit = match self.peek()? {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Int(i) => Literal::Int(*i),
            Tok::Date(d) => Literal::Date(d.clone()),
            Tok::Ident(w)
                if w.eq_ignore_ascii_case("date") || w.eq_ignore_ascii_case("timestamp") =>
            {
                let is_date = w.eq_ignore_ascii_case("date");
                let Some(Tok::Str(s)) = self.peek_at(1) else {
                    return None;
                };
                let lit = if is_date {
                    Literal::Date(s.clone())
                } else {
                    Literal::Timestamp(s.clone())
                };
                self.pos += 1;
                lit
            }
            _ => return None,
        };
        self.pos += 1;
        Some(lit)
    }

    fn literal(&mut self) -> Result<Literal> {
        self.try_literal()
            .ok_or_else(|| err(format!("expected a literal, found {:?}", self.peek())))
    }

    fn leaf(&mut self) -> Result<Expr> {
        if let Some(lit) = self.try_literal() {
            let op = match self.next()? {
                Tok::Op(op) if op != Op::Like => op,
                t => return Err(err(format!("expected an operator, found {t:?}"))),
            };
            let key = match self.next()? {
                Tok::Ident(k) => k,
                t => return Err(err(format!("expected a column name, found {t:?}"))),
            };
            return Ok(Expr::Cmp {
                key,
                op: op.flipped(),
                lit,
            });
        }
        let key = match self.next()? {
            Tok::Ident(k) => k,
            t => return Err(err(format!("expected a column name, found {t:?}"))),
        };
        let negated = self.eat_kw("not");
        let e = if self.eat_kw("between") {
            let low = self.literal()?;
            if !self.eat_kw("and") {
                return Err(err("expected AND in BETWEEN"));
            }
            Expr::Between {
                key,
                low,
                high: self.literal()?,
            }
        } else if self.eat_kw("in") {
            self.in_list(vec![key])?
        } else if negated {
            return Err(err("expected BETWEEN or IN after NOT"));
        } else {
            match self.next()? {
                Tok::Op(op) => Expr::Cmp {
                    key,
                    op,
                    lit: self.literal()?,
                },
                t => return Err(err(format!("expected an operator, found {t:?}"))),
            }
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }
}
