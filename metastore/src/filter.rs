//! Hive's partition filter language (`get_partitions_by_filter`), parsed into an expression,
//! bound to a table's partition keys, and evaluated on partition values.
//!
//! Grammar (keywords in any case):
//! ```text
//! or   := and (OR and)*
//! and  := not (AND not)*
//! not  := NOT not | '(' or ')' | leaf
//! leaf := key op lit | lit op key | key [NOT] BETWEEN lit AND lit
//!       | key [NOT] IN (lit, ...) | '(' key ')' [NOT] IN (lit, ...)
//!       | '(' STRUCT(key, ...) ')' [NOT] IN (CONST STRUCT(lit, ...), ...)
//! op   := = | <> | != | < | <= | > | >= | LIKE
//! lit  := 'str' | "str" | -?[0-9]+ | DATE 'yyyy-mm-dd' | yyyy-mm-dd | TIMESTAMP '...'
//! ```
//! As in Hive's `Filter.g`, a string literal has no escapes: it is everything up to the next
//! quote of its kind, backslashes included. Parentheses and `NOT` nest at most
//! [`MAX_DEPTH`](parse::MAX_DEPTH) levels deep, so no filter can exhaust a thread's stack.
//! Values compare typed by the key's Hive type (integers, decimals, dates; strings otherwise).
//! `__HIVE_DEFAULT_PARTITION__` is NULL: every comparison with it is unknown, so it never matches.

use std::borrow::Cow;
use std::cmp::Ordering;

use regex::Regex;

use crate::error::{Error, Result};
use crate::model::Column;
use crate::partname::DEFAULT_PARTITION;

mod parse;

pub(crate) use parse::parse;

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Int(i64),
    Date(String),
    Timestamp(String),
}

impl Literal {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Literal::Str(s) | Literal::Date(s) | Literal::Timestamp(s) => Cow::Borrowed(s),
            Literal::Int(i) => Cow::Owned(i.to_string()),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
}

impl Op {
    /// The operator with its operands swapped (`1 < k` is `k > 1`).
    fn flipped(self) -> Op {
        match self {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            other => other,
        }
    }
}

/// A parsed filter, not yet bound to a table.
///
/// `And` and `Or` are n-ary and flat, so a long chain of terms is one node with many children:
/// every recursion over the tree goes only as deep as the parser's nesting limit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// Matches everything (an empty filter).
    True,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp {
        key: String,
        op: Op,
        lit: Literal,
    },
    Between {
        key: String,
        low: Literal,
        high: Literal,
    },
    In {
        keys: Vec<String>,
        rows: Vec<Vec<Literal>>,
    },
}

/// How a key's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Text,
    Integer,
    Decimal,
    Date,
}

impl KeyType {
    fn of(hive_type: &str) -> KeyType {
        let t = hive_type.trim().to_ascii_lowercase();
        match t.split('(').next().unwrap_or("") {
            "tinyint" | "smallint" | "int" | "integer" | "bigint" => KeyType::Integer,
            "float" | "double" | "decimal" | "numeric" => KeyType::Decimal,
            "date" => KeyType::Date,
            _ => KeyType::Text,
        }
    }
}

/// A value parsed for typed comparison, its text borrowed from where it was read.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Value<'a> {
    Text(&'a str),
    Int(i64),
    Num(f64),
}

fn typed(kind: KeyType, raw: &str) -> Option<Value<'_>> {
    match kind {
        KeyType::Text | KeyType::Date => Some(Value::Text(raw)),
        KeyType::Integer => raw.trim().parse().ok().map(Value::Int),
        KeyType::Decimal => raw.trim().parse().ok().map(Value::Num),
    }
}

/// A literal typed for its key: the owned form of a [`Value`].
#[derive(Debug)]
enum Scalar {
    Text(String),
    Int(i64),
    Num(f64),
}

impl Scalar {
    /// `None` when the literal is no value of the key's type (it compares as unknown).
    fn of(kind: KeyType, lit: &Literal) -> Option<Scalar> {
        Some(match typed(kind, &lit.text())? {
            Value::Text(s) => Scalar::Text(s.to_owned()),
            Value::Int(i) => Scalar::Int(i),
            Value::Num(n) => Scalar::Num(n),
        })
    }

    fn value(&self) -> Value<'_> {
        match self {
            Scalar::Text(s) => Value::Text(s),
            Scalar::Int(i) => Value::Int(*i),
            Scalar::Num(n) => Value::Num(*n),
        }
    }
}

/// A filter bound to key positions. `And`/`Or` stay flat like [`Expr`]'s.
#[derive(Debug)]
enum Bound {
    True,
    And(Vec<Bound>),
    Or(Vec<Bound>),
    Not(Box<Bound>),
    Cmp {
        idx: usize,
        kind: KeyType,
        op: Op,
        lit: Option<Scalar>,
    },
    Like {
        idx: usize,
        re: Regex,
    },
    In {
        idxs: Vec<(usize, KeyType)>,
        rows: Vec<Vec<Option<Scalar>>>,
    },
}

/// A filter bound to a table's partition keys, ready to evaluate.
#[derive(Debug)]
pub(crate) struct PartitionFilter {
    root: Bound,
    /// For each key, the value a top-level equality fixes it to (string-typed keys only).
    fixed: Vec<Option<String>>,
    prefix: Vec<String>,
}

impl PartitionFilter {
    /// Parses `filter` and binds it to `keys`.
    pub(crate) fn new(filter: &str, keys: &[Column]) -> Result<PartitionFilter> {
        let expr = parse(filter)?;
        let fixed = fixed_values(&expr, keys);
        let prefix = fixed.iter().map_while(Clone::clone).collect();
        let root = bind(&expr, keys)?;
        Ok(PartitionFilter {
            root,
            fixed,
            prefix,
        })
    }

    /// Values of the leading (string-typed) keys that every match must have: the range a
    /// store scans instead of the whole table.
    pub(crate) fn leading_values(&self) -> &[String] {
        &self.prefix
    }

    /// The keys past the leading ones that every match has a fixed value for, with that value:
    /// candidates for the store's partition-key index.
    pub(crate) fn fixed_after_prefix(&self) -> impl Iterator<Item = (usize, &str)> {
        self.fixed
            .iter()
            .enumerate()
            .skip(self.prefix.len())
            .filter_map(|(i, v)| Some((i, v.as_deref()?)))
    }

    /// Whether a partition with these values passes the filter.
    pub(crate) fn matches(&self, values: &[String]) -> bool {
        eval(&self.root, values) == Some(true)
    }
}

/// The position and type of the partition key `name`.
fn key_of(keys: &[Column], name: &str) -> Result<(usize, KeyType)> {
    keys.iter()
        .enumerate()
        .find(|(_, k)| k.name.eq_ignore_ascii_case(name))
        .map(|(i, k)| (i, KeyType::of(&k.type_name)))
        .ok_or_else(|| {
            Error::InvalidInput(format!("{name} is not a partitioning key for the table"))
        })
}

fn bind(expr: &Expr, keys: &[Column]) -> Result<Bound> {
    let all = |es: &[Expr]| es.iter().map(|e| bind(e, keys)).collect::<Result<Vec<_>>>();
    Ok(match expr {
        Expr::True => Bound::True,
        Expr::And(es) => Bound::And(all(es)?),
        Expr::Or(es) => Bound::Or(all(es)?),
        Expr::Not(e) => Bound::Not(Box::new(bind(e, keys)?)),
        Expr::Cmp { key, op, lit } => bind_cmp(keys, key, *op, lit)?,
        Expr::Between { key, low, high } => Bound::And(vec![
            bind_cmp(keys, key, Op::Ge, low)?,
            bind_cmp(keys, key, Op::Le, high)?,
        ]),
        Expr::In {
            keys: in_keys,
            rows,
        } => bind_in(keys, in_keys, rows)?,
    })
}

fn bind_cmp(keys: &[Column], key: &str, op: Op, lit: &Literal) -> Result<Bound> {
    let (idx, kind) = key_of(keys, key)?;
    if op != Op::Like {
        let lit = Scalar::of(kind, lit);
        return Ok(Bound::Cmp { idx, kind, op, lit });
    }
    let re = Regex::new(&format!("^(?s:{})$", lit.text())).map_err(|e| {
        Error::InvalidInput(format!(
            "Error parsing partition filter: bad LIKE pattern: {e}"
        ))
    })?;
    Ok(Bound::Like { idx, re })
}

fn bind_in(keys: &[Column], in_keys: &[String], rows: &[Vec<Literal>]) -> Result<Bound> {
    let idxs = in_keys
        .iter()
        .map(|k| key_of(keys, k))
        .collect::<Result<Vec<_>>>()?;
    let rows = rows
        .iter()
        .map(|row| {
            if row.len() != idxs.len() {
                return Err(Error::InvalidInput(
                    "Error parsing partition filter: IN row has the wrong arity".into(),
                ));
            }
            Ok(row
                .iter()
                .zip(&idxs)
                .map(|(l, (_, k))| Scalar::of(*k, l))
                .collect())
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Bound::In { idxs, rows })
}

/// The partition's value of key `idx`, typed; `None` (NULL) for the default partition or a
/// value that is not of the key's type.
fn value(values: &[String], idx: usize, kind: KeyType) -> Option<Value<'_>> {
    let raw = values.get(idx)?;
    if raw == DEFAULT_PARTITION {
        return None;
    }
    typed(kind, raw)
}

/// Three-valued evaluation: `None` is SQL's unknown (a NULL operand).
fn eval(b: &Bound, values: &[String]) -> Option<bool> {
    match b {
        Bound::True => Some(true),
        Bound::And(bs) => eval_junction(bs, values, false),
        Bound::Or(bs) => eval_junction(bs, values, true),
        Bound::Not(e) => eval(e, values).map(|v| !v),
        Bound::Cmp { idx, kind, op, lit } => {
            let ord = value(values, *idx, *kind)?.partial_cmp(&lit.as_ref()?.value())?;
            Some(match op {
                Op::Eq => ord == Ordering::Equal,
                Op::Ne => ord != Ordering::Equal,
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                Op::Gt => ord == Ordering::Greater,
                Op::Ge => ord != Ordering::Less,
                Op::Like => false,
            })
        }
        Bound::Like { idx, re } => {
            let raw = values.get(*idx)?;
            (raw != DEFAULT_PARTITION).then(|| re.is_match(raw))
        }
        Bound::In { idxs, rows } => eval_in(idxs, rows, values),
    }
}

/// An n-ary AND (`decisive` false) or OR (`decisive` true): the decisive value if any term
/// has it, else unknown if any term is unknown, else the other value.
fn eval_junction(bs: &[Bound], values: &[String], decisive: bool) -> Option<bool> {
    let mut unknown = false;
    for b in bs {
        match eval(b, values) {
            Some(v) if v == decisive => return Some(decisive),
            Some(_) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(!decisive)
}

fn eval_in(
    idxs: &[(usize, KeyType)],
    rows: &[Vec<Option<Scalar>>],
    values: &[String],
) -> Option<bool> {
    let one;
    let many;
    let vals: &[Value<'_>] = match idxs {
        [(idx, kind)] => {
            one = value(values, *idx, *kind)?;
            std::slice::from_ref(&one)
        }
        _ => {
            many = idxs
                .iter()
                .map(|(idx, kind)| value(values, *idx, *kind))
                .collect::<Option<Vec<_>>>()?;
            &many
        }
    };
    let mut unknown = false;
    for row in rows {
        if row
            .iter()
            .zip(vals)
            .all(|(l, v)| l.as_ref().map(Scalar::value) == Some(*v))
        {
            return Some(true);
        }
        unknown |= row.iter().any(Option::is_none);
    }
    (!unknown).then_some(false)
}

/// The value each string-typed key is fixed to by a top-level `key = 'literal'` conjunct.
fn fixed_values(expr: &Expr, keys: &[Column]) -> Vec<Option<String>> {
    let mut fixed: Vec<Option<String>> = vec![None; keys.len()];
    let conjuncts = match expr {
        Expr::And(es) => es.as_slice(),
        e => std::slice::from_ref(e),
    };
    for e in conjuncts {
        if let Expr::Cmp {
            key,
            op: Op::Eq,
            lit,
        } = e
        {
            if let Ok((idx, KeyType::Text)) = key_of(keys, key) {
                if let Some(slot) = fixed.get_mut(idx) {
                    *slot = Some(lit.text().into_owned());
                }
            }
        }
    }
    fixed
}

#[cfg(test)]
mod tests;
