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
//! Values compare typed by the key's Hive type (integers, decimals, dates; strings otherwise).
//! `__HIVE_DEFAULT_PARTITION__` is NULL: every comparison with it is unknown, so it never matches.

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
    fn text(&self) -> String {
        match self {
            Literal::Str(s) | Literal::Date(s) | Literal::Timestamp(s) => s.clone(),
            Literal::Int(i) => i.to_string(),
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
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// Matches everything (an empty filter).
    True,
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
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

/// A value parsed for typed comparison.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Value {
    Text(String),
    Int(i64),
    Num(f64),
}

fn typed(kind: KeyType, raw: &str) -> Option<Value> {
    match kind {
        KeyType::Text | KeyType::Date => Some(Value::Text(raw.to_string())),
        KeyType::Integer => raw.trim().parse().ok().map(Value::Int),
        KeyType::Decimal => raw.trim().parse().ok().map(Value::Num),
    }
}

/// A leaf bound to a key position.
#[derive(Debug)]
enum Bound {
    True,
    And(Box<Bound>, Box<Bound>),
    Or(Box<Bound>, Box<Bound>),
    Not(Box<Bound>),
    Cmp {
        idx: usize,
        kind: KeyType,
        op: Op,
        value: Option<Value>,
    },
    Like {
        idx: usize,
        re: Regex,
    },
    In {
        idxs: Vec<(usize, KeyType)>,
        rows: Vec<Vec<Option<Value>>>,
    },
}

/// A filter bound to a table's partition keys, ready to evaluate.
#[derive(Debug)]
pub(crate) struct PartitionFilter {
    root: Bound,
    prefix: Vec<String>,
}

impl PartitionFilter {
    /// Parses `filter` and binds it to `keys`.
    pub(crate) fn new(filter: &str, keys: &[Column]) -> Result<PartitionFilter> {
        let expr = parse(filter)?;
        let prefix = equality_prefix(&expr, keys);
        let root = bind(&expr, keys)?;
        Ok(PartitionFilter { root, prefix })
    }

    /// Values of the leading (string-typed) keys that every match must have: the range a
    /// store scans instead of the whole table.
    pub(crate) fn leading_values(&self) -> &[String] {
        &self.prefix
    }

    /// Whether a partition with these values passes the filter.
    pub(crate) fn matches(&self, values: &[String]) -> bool {
        eval(&self.root, values) == Some(true)
    }
}

fn key_index(keys: &[Column], name: &str) -> Result<usize> {
    keys.iter()
        .position(|k| k.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Error::InvalidInput(format!("{name} is not a partitioning key for the table"))
        })
}

fn bind(expr: &Expr, keys: &[Column]) -> Result<Bound> {
    let b = |e: &Expr| bind(e, keys).map(Box::new);
    Ok(match expr {
        Expr::True => Bound::True,
        Expr::And(l, r) => Bound::And(b(l)?, b(r)?),
        Expr::Or(l, r) => Bound::Or(b(l)?, b(r)?),
        Expr::Not(e) => Bound::Not(b(e)?),
        Expr::Cmp {
            key,
            op: Op::Like,
            lit,
        } => {
            let idx = key_index(keys, key)?;
            let re = Regex::new(&format!("^(?s:{})$", lit.text())).map_err(|e| {
                Error::InvalidInput(format!(
                    "Error parsing partition filter: bad LIKE pattern: {e}"
                ))
            })?;
            Bound::Like { idx, re }
        }
        Expr::Cmp { key, op, lit } => {
            let idx = key_index(keys, key)?;
            let kind = KeyType::of(&keys[idx].type_name);
            Bound::Cmp {
                idx,
                kind,
                op: *op,
                value: typed(kind, &lit.text()),
            }
        }
        Expr::Between { key, low, high } => {
            let lo = Expr::Cmp {
                key: key.clone(),
                op: Op::Ge,
                lit: low.clone(),
            };
            let hi = Expr::Cmp {
                key: key.clone(),
                op: Op::Le,
                lit: high.clone(),
            };
            Bound::And(b(&lo)?, b(&hi)?)
        }
        Expr::In {
            keys: in_keys,
            rows,
        } => {
            let idxs = in_keys
                .iter()
                .map(|k| key_index(keys, k).map(|i| (i, KeyType::of(&keys[i].type_name))))
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
                        .map(|(l, (_, k))| typed(*k, &l.text()))
                        .collect())
                })
                .collect::<Result<Vec<_>>>()?;
            Bound::In { idxs, rows }
        }
    })
}

/// Three-valued evaluation: `None` is SQL's unknown (a NULL operand).
fn eval(b: &Bound, values: &[String]) -> Option<bool> {
    let value = |idx: usize, kind: KeyType| -> Option<Value> {
        let raw = values.get(idx)?;
        if raw == DEFAULT_PARTITION {
            return None;
        }
        typed(kind, raw)
    };
    match b {
        Bound::True => Some(true),
        Bound::And(l, r) => match (eval(l, values), eval(r, values)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Bound::Or(l, r) => match (eval(l, values), eval(r, values)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Bound::Not(e) => eval(e, values).map(|v| !v),
        Bound::Cmp {
            idx,
            kind,
            op,
            value: lit,
        } => {
            let ord = value(*idx, *kind)?.partial_cmp(lit.as_ref()?)?;
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
        Bound::In { idxs, rows } => {
            let vals = idxs
                .iter()
                .map(|(i, k)| value(*i, *k))
                .collect::<Option<Vec<_>>>()?;
            let mut unknown = false;
            for row in rows {
                match row.iter().zip(&vals).all(|(l, v)| l.as_ref() == Some(v)) {
                    true => return Some(true),
                    false => unknown |= row.iter().any(Option::is_none),
                }
            }
            (!unknown).then_some(false)
        }
    }
}

/// The values fixed by top-level `key = 'literal'` conjuncts on the leading string keys.
fn equality_prefix(expr: &Expr, keys: &[Column]) -> Vec<String> {
    let mut fixed: Vec<Option<String>> = vec![None; keys.len()];
    collect_equalities(expr, keys, &mut fixed);
    fixed.into_iter().map_while(|v| v).collect()
}

fn collect_equalities(expr: &Expr, keys: &[Column], fixed: &mut [Option<String>]) {
    match expr {
        Expr::And(l, r) => {
            collect_equalities(l, keys, fixed);
            collect_equalities(r, keys, fixed);
        }
        Expr::Cmp {
            key,
            op: Op::Eq,
            lit,
        } => {
            if let Ok(idx) = key_index(keys, key) {
                if KeyType::of(&keys[idx].type_name) == KeyType::Text {
                    fixed[idx] = Some(lit.text());
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
