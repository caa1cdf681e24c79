//! The session's current database, which PostgreSQL calls the current schema: set by
//! `SET search_path`, by the `search_path` a client sends when it connects (pgjdbc's
//! `currentSchema`, libpq's `options='-c search_path=...'`), and reported by
//! `current_schema()`.

use std::collections::HashMap;

use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;
use metastore::Catalog;

use crate::athena::{self, Statement};
use crate::error::{Error, Result};
use crate::users::User;

/// Names tools put on a search path that are never catalog databases.
const PASSED_OVER: [&str; 4] = ["$user", "public", "pg_catalog", "information_schema"];

/// The database a search path selects: the first listed one that exists and the user may
/// read. `"$user"` and `public` are passed over; a path of only those is `default`; any
/// other name that is not a database the user may read is an error (3F000).
pub(crate) async fn choose(catalog: &dyn Catalog, user: &User, names: &[String]) -> Result<String> {
    let existing = catalog.list_databases(None).await?;
    let names: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let usable = |n: &String| existing.contains(n) && user.check(n, false).is_ok();
    match names.iter().find(|n| usable(n)) {
        Some(n) => Ok(n.clone()),
        None => match names.iter().find(|n| !PASSED_OVER.contains(&n.as_str())) {
            Some(missing) => Err(Error::NoSuchSchema(missing.clone())),
            None => Ok("default".to_string()),
        },
    }
}

/// Makes `db` the session's current database: unqualified names resolve in it and
/// `current_schema()` returns it.
pub(crate) fn apply(ctx: &SessionContext, db: &str) {
    let state = ctx.state_ref();
    state
        .write()
        .config_mut()
        .options_mut()
        .catalog
        .default_schema = db.to_string();
    ctx.register_udf(crate::constant_udf(
        "current_schema",
        vec![],
        ScalarValue::Utf8(Some(db.to_string())),
    ));
}

/// The search path among a client's start-up parameters: `search_path` itself, or
/// `-c search_path=...` / `--search_path=...` in `options`.
fn from_startup(params: &HashMap<String, String>) -> Option<String> {
    if let Some(path) = params.get("search_path") {
        return Some(path.clone());
    }
    let options = params.get("options")?;
    let mut words = options.split_whitespace();
    while let Some(word) = words.next() {
        let setting = match word {
            "-c" => words.next()?,
            w => match w.strip_prefix("-c").or_else(|| w.strip_prefix("--")) {
                Some(setting) => setting,
                None => continue,
            },
        };
        if let Some(path) = setting.strip_prefix("search_path=") {
            return Some(path.to_string());
        }
    }
    None
}

/// Applies the search path a client sent when connecting. As in PostgreSQL, a path naming
/// no usable database is not an error there: the session stays in `default`.
pub(crate) async fn at_startup(
    ctx: &SessionContext,
    catalog: &dyn Catalog,
    user: &User,
    params: &HashMap<String, String>,
) {
    let Some(path) = from_startup(params) else {
        return;
    };
    let Ok(Some(Statement::SetSchema(names))) =
        athena::parse(&format!("SET search_path TO {path}"))
    else {
        tracing::debug!(%path, "ignoring an unreadable start-up search_path");
        return;
    };
    match choose(catalog, user, &names).await {
        Ok(db) => apply(ctx, &db),
        Err(e) => tracing::debug!(%path, error = %e, "start-up search_path selects no database"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn finds_the_search_path_among_startup_parameters() {
        let found = |p: &[(&str, &str)]| from_startup(&params(p));
        assert_eq!(found(&[("search_path", "sales")]).as_deref(), Some("sales"));
        assert_eq!(
            found(&[("options", "-c search_path=sales,public")]).as_deref(),
            Some("sales,public")
        );
        assert_eq!(
            found(&[("options", "-cstatement_timeout=5 -csearch_path=hr")]).as_deref(),
            Some("hr")
        );
        assert_eq!(
            found(&[("options", "--search_path=x")]).as_deref(),
            Some("x")
        );
        assert_eq!(found(&[("options", "-c geqo=off")]), None);
        assert_eq!(
            found(&[("options", "stray -c search_path=y")]).as_deref(),
            Some("y")
        );
        assert_eq!(found(&[("options", "-c")]), None);
        assert_eq!(found(&[("user", "u")]), None);
    }
}
