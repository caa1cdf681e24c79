//! Parameters (`$1` .. `$n`) of the statements the session plans itself: INSERT, CTAS and
//! DECLARE in the extended protocol.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::tokenizer::Token;
use datafusion_postgres::arrow_pg::datatypes::df;
use datafusion_postgres::pgwire::api::portal::Portal;
use datafusion_postgres::pgwire::api::stmt::StoredStatement;
use datafusion_postgres::pgwire::api::Type;
use datafusion_postgres::pgwire::error::PgWireResult;

use super::DfStatement;

/// The number of parameters a statement takes: the highest `$n` in it.
pub(super) fn placeholder_count(sql: &str) -> usize {
    let Ok(tokens) = crate::sql_text::tokens(&PostgreSqlDialect {}, sql) else {
        return 0;
    };
    tokens
        .iter()
        .filter_map(|(t, _)| match t {
            Token::Placeholder(p) => p.strip_prefix('$')?.parse::<usize>().ok(),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// The values bound to `portal`. A value keeps the type the client sent; one sent without a
/// type takes `inferred`'s type for its position (the plan's), else text, which INSERT casts
/// to the column. Every NULL is read as a text NULL: arrow-pg drops a NULL whose type it has
/// no case for, which would shift every later parameter.
pub(super) fn bound_params(
    portal: &Portal<DfStatement>,
    inferred: &[Option<DataType>],
) -> PgWireResult<ParamValues> {
    let n = portal.parameter_len();
    let mut hints = Vec::with_capacity(n);
    let mut types = Vec::with_capacity(n);
    for i in 0..n {
        let sent = portal.statement.parameter_types.get(i).cloned().flatten();
        let sent = sent.filter(|t| *t != Type::UNKNOWN);
        let null = matches!(portal.parameters.get(i), Some(None));
        let guess = inferred.get(i).cloned().flatten();
        let (hint, inferred) = match (null, sent, guess) {
            (true, _, _) => (Some(Type::TEXT), None),
            (false, Some(t), _) => (Some(t), None),
            (false, None, Some(g)) => (None, Some(g)),
            (false, None, None) => (Some(Type::TEXT), None),
        };
        hints.push(hint);
        types.push(inferred);
    }
    let stmt = &portal.statement;
    let typed_stmt = StoredStatement::new(stmt.id.clone(), stmt.statement.clone(), hints);
    let mut typed = Portal::new_cursor(portal.name.clone(), Arc::new(typed_stmt));
    typed.parameter_format = portal.parameter_format.clone();
    typed.parameters = portal.parameters.clone();
    let refs: Vec<Option<&DataType>> = types.iter().map(Option::as_ref).collect();
    Ok(match df::deserialize_parameters(&typed, &refs)? {
        ParamValues::List(values) => ParamValues::List(
            values
                .into_iter()
                .map(|mut v| {
                    v.value = widen_decimal(v.value);
                    v
                })
                .collect(),
        ),
        other => other,
    })
}

/// arrow-pg gives a NUMERIC value as many digits of precision as it has, so `0.05` is
/// `decimal(1, 2)`, which Arrow refuses: widen to the scale.
fn widen_decimal(v: ScalarValue) -> ScalarValue {
    match v {
        ScalarValue::Decimal128(x, p, s) if s > 0 && i16::from(p) < i16::from(s) => {
            ScalarValue::Decimal128(x, s.unsigned_abs(), s)
        }
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_highest_placeholder() {
        assert_eq!(placeholder_count("INSERT INTO t VALUES ($1, $3, '$9')"), 3);
        assert_eq!(placeholder_count("INSERT INTO t SELECT 1"), 0);
    }

    #[test]
    fn decimals_below_one_get_a_precision_arrow_takes() {
        assert_eq!(
            widen_decimal(ScalarValue::Decimal128(Some(5), 1, 2)),
            ScalarValue::Decimal128(Some(5), 2, 2)
        );
        let fine = ScalarValue::Decimal128(Some(125), 3, 2);
        assert_eq!(widen_decimal(fine.clone()), fine);
    }
}
