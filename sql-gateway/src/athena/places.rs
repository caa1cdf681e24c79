//! Where a user limited to some databases may point tables, partitions and databases.
//!
//! Reading is checked by database, but a location is just a folder: without this check a
//! user limited to `sales` could create `sales.t LOCATION '<hr's folder>'` and read `hr`'s
//! files through it, or write into them with INSERT. Such a user may therefore only name
//! locations inside the folders of the databases they may use, or inside the prefixes
//! configured for them (`locations`). Users without a database limit may name any location.

use super::Env;
use crate::error::{Error, Result};
use crate::storage::Location;

impl Env<'_> {
    /// Refuses `location` (42501) when the user is limited to some databases and the
    /// location lies outside both their databases' folders and their configured prefixes,
    /// or overlaps the folder of a database they may not use.
    /// Also refuses a location that cannot be parsed or has `.`/`..` folders (22023).
    pub(super) async fn check_location(&self, location: &str) -> Result<()> {
        let wanted = Location::parse(location)?;
        if location.split('/').any(|s| s == ".." || s == ".") {
            return Err(Error::InvalidInput(format!(
                "location {location} has a `.` or `..` folder; give the folder itself"
            )));
        }
        let Some(databases) = &self.user.databases else {
            return Ok(());
        };
        let mut allowed = self
            .user
            .locations
            .iter()
            .any(|prefix| Location::parse(prefix).is_ok_and(|p| inside(&wanted, &p)));
        for db in databases {
            if allowed {
                break;
            }
            if let Ok(found) = self.catalog.get_database(db).await {
                allowed = Location::parse(&found.location).is_ok_and(|p| inside(&wanted, &p));
            }
        }
        if !allowed {
            let why = "it is outside their databases' folders and configured locations";
            return Err(self.location_refused(location, why));
        }
        // A permitted folder may enclose another database's: `default` sits at the
        // warehouse root, above every `<db>.db`. Neither side may contain the other.
        for other in self.catalog.list_databases(None).await? {
            if databases.iter().any(|d| d.eq_ignore_ascii_case(&other)) {
                continue;
            }
            let found = match self.catalog.get_database(&other).await {
                Ok(found) => found,
                // Dropped since the listing.
                Err(metastore::Error::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            if let Ok(theirs) = Location::parse(&found.location) {
                if inside(&wanted, &theirs) || inside(&theirs, &wanted) {
                    return Err(self.location_refused(
                        location,
                        &format!("it overlaps the folder of database {other}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks the folder the metastore gives a table of `db` named `table` when no
    /// location is set (`<database folder>/<table>`), for a user limited to some databases.
    pub(super) async fn check_default_location(&self, db: &str, table: &str) -> Result<()> {
        if self.user.databases.is_none() {
            return Ok(());
        }
        let folder = self.catalog.get_database(db).await?.location;
        let location = format!("{}/{}", folder.trim_end_matches('/'), table.to_lowercase());
        self.check_location(&location).await
    }

    fn location_refused(&self, location: &str, why: &str) -> Error {
        Error::PermissionDenied(format!(
            "user {} may not use location {location}: {why}",
            self.user.name
        ))
    }
}

/// Whether `wanted` is `folder` or lies under it (whole path segments, same store).
fn inside(wanted: &Location, folder: &Location) -> bool {
    wanted.store == folder.store && wanted.path.prefix_matches(&folder.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(s: &str) -> Location {
        Location::parse(s).unwrap()
    }

    #[test]
    fn inside_compares_whole_segments_of_one_store() {
        let sales = loc("s3://lake/warehouse/sales.db");
        assert!(inside(&loc("s3://lake/warehouse/sales.db"), &sales));
        assert!(inside(&loc("s3a://lake/warehouse/sales.db/t/"), &sales));
        assert!(!inside(&loc("s3://lake/warehouse/sales.dbx/t"), &sales));
        assert!(!inside(&loc("s3://lake/warehouse"), &sales));
        assert!(!inside(&loc("s3://other/warehouse/sales.db/t"), &sales));
        assert!(!inside(&loc("file:///lake/warehouse/sales.db/t"), &sales));
        let local = loc("file:/data/wh/sales.db");
        assert!(inside(&loc("/data/wh/sales.db/t"), &local));
    }
}
