//! DataFusion filter expressions on partition columns turned into a Hive partition filter
//! string for the catalog. The string only narrows what the catalog returns: every filter is
//! still evaluated exactly on the returned partitions, so a part that cannot be expressed is
//! simply left out (for `AND`) or makes the whole disjunction unusable (for `OR`).

use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::scalar::ScalarValue;

/// A Hive filter equivalent to, or wider than, the conjunction of `filters`; `None` when
/// nothing narrows the partitions.
pub(crate) fn to_hive_filter(filters: &[Expr], keys: &[String]) -> Option<String> {
    let parts: Vec<String> = filters.iter().filter_map(|f| narrow(f, keys)).collect();
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => Some(
            parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
}

/// A filter at least as wide as `e`, if one can be written.
fn narrow(e: &Expr, keys: &[String]) -> Option<String> {
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => match (narrow(left, keys), narrow(right, keys)) {
            (Some(l), Some(r)) => Some(format!("({l}) and ({r})")),
            (Some(one), None) | (None, Some(one)) => Some(one),
            (None, None) => None,
        },
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => Some(format!(
            "({}) or ({})",
            narrow(left, keys)?,
            narrow(right, keys)?
        )),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => compare(left, *op, right, keys),
        Expr::InList(list) if !list.negated => {
            let key = key_of(&list.expr, keys)?;
            let values = list.list.iter().map(literal).collect::<Option<Vec<_>>>()?;
            if values.is_empty() {
                return None;
            }
            Some(format!("{key} in ({})", values.join(", ")))
        }
        Expr::Between(b) if !b.negated => {
            let key = key_of(&b.expr, keys)?;
            Some(format!(
                "{key} >= {} and {key} <= {}",
                literal(&b.low)?,
                literal(&b.high)?
            ))
        }
        _ => None,
    }
}

fn compare(left: &Expr, op: Operator, right: &Expr, keys: &[String]) -> Option<String> {
    let sym = match op {
        Operator::Eq => "=",
        Operator::NotEq => "<>",
        Operator::Lt => "<",
        Operator::LtEq => "<=",
        Operator::Gt => ">",
        Operator::GtEq => ">=",
        _ => return None,
    };
    if let (Some(key), Some(lit)) = (key_of(left, keys), literal(right)) {
        return Some(format!("{key} {sym} {lit}"));
    }
    let flipped = match sym {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        same => same,
    };
    Some(format!(
        "{} {flipped} {}",
        key_of(right, keys)?,
        literal(left)?
    ))
}

fn key_of(e: &Expr, keys: &[String]) -> Option<String> {
    match e {
        Expr::Column(c) if keys.iter().any(|k| k == &c.name) => Some(c.name.clone()),
        _ => None,
    }
}

fn literal(e: &Expr) -> Option<String> {
    let Expr::Literal(value, _) = e else {
        return None;
    };
    match value {
        ScalarValue::Int8(Some(v)) => Some(v.to_string()),
        ScalarValue::Int16(Some(v)) => Some(v.to_string()),
        ScalarValue::Int32(Some(v)) => Some(v.to_string()),
        ScalarValue::Int64(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt8(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt16(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt32(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt64(Some(v)) => Some(v.to_string()),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => quote(s),
        ScalarValue::Date32(Some(_)) => quote(&value.to_string()),
        _ => None,
    }
}

/// Hive filter strings have no escapes: pick a quote the value does not contain.
fn quote(s: &str) -> Option<String> {
    if !s.contains('\'') {
        Some(format!("'{s}'"))
    } else if !s.contains('"') {
        Some(format!("\"{s}\""))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    fn keys() -> Vec<String> {
        vec!["year".into(), "region".into()]
    }

    #[test]
    fn writes_comparisons_lists_and_ranges() {
        let f = col("year")
            .eq(lit(2024))
            .and(col("region").in_list(vec![lit("eu"), lit("us")], false));
        assert_eq!(
            to_hive_filter(&[f], &keys()).unwrap(),
            "(year = 2024) and (region in ('eu', 'us'))"
        );
        let flipped = lit(2020).lt(col("year"));
        assert_eq!(to_hive_filter(&[flipped], &keys()).unwrap(), "year > 2020");
        let between = col("year").between(lit(2020), lit(2022));
        assert_eq!(
            to_hive_filter(&[between], &keys()).unwrap(),
            "year >= 2020 and year <= 2022"
        );
    }

    #[test]
    fn leaves_out_what_it_cannot_express() {
        let data_col = col("amount").gt(lit(5));
        assert_eq!(
            to_hive_filter(std::slice::from_ref(&data_col), &keys()),
            None
        );
        let mixed_and = col("year").eq(lit(2024)).and(data_col.clone());
        assert_eq!(
            to_hive_filter(&[mixed_and], &keys()).unwrap(),
            "year = 2024"
        );
        let mixed_or = col("year").eq(lit(2024)).or(data_col);
        assert_eq!(to_hive_filter(&[mixed_or], &keys()), None);
        let both_quotes = col("region").eq(lit("a'b\"c"));
        assert_eq!(to_hive_filter(&[both_quotes], &keys()), None);
        let one_quote = col("region").eq(lit("o'brien"));
        assert_eq!(
            to_hive_filter(&[one_quote], &keys()).unwrap(),
            "region = \"o'brien\""
        );
    }
}
