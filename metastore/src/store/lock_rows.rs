//! Locks kept in RocksDB as well as in memory (`locks`): a row per lock from `lock` until
//! `unlock` or expiry, written before the client hears of the lock. When the catalog opens,
//! the rows become the lock table again, so a lock held across a restart still excludes.

use super::codec::{self, StoredLock};
use super::{keys, LocalCatalog, Tx};
use crate::catalog::LockStatus;
use crate::error::Result;
use crate::model::LockComponent;

impl LocalCatalog {
    pub(crate) fn lock_sync(&self, components: Vec<LockComponent>) -> Result<LockStatus> {
        let row = StoredLock {
            components: components.clone(),
        };
        let status = self.locks.lock(components);
        let mut tx = self.begin();
        let written = Self::put_value(&mut tx, &keys::lock(status.id), &row).and_then(|()| {
            delete_rows(&mut tx, self.locks.take_expired());
            self.commit(tx)
        });
        if let Err(e) = written {
            // never granted: the client gets the error, not the lock
            let _ = self.locks.unlock(status.id);
            return Err(e);
        }
        Ok(status)
    }

    pub(crate) fn check_lock_sync(&self, id: i64) -> Result<LockStatus> {
        let status = self.locks.check(id);
        self.forget_expired()?;
        status
    }

    pub(crate) fn heartbeat_sync(&self, id: i64) -> Result<()> {
        let beat = self.locks.heartbeat(id);
        self.forget_expired()?;
        beat
    }

    pub(crate) fn unlock_sync(&self, id: i64) -> Result<()> {
        self.locks.unlock(id)?;
        let mut tx = self.begin();
        tx.batch.delete(keys::lock(id));
        delete_rows(&mut tx, self.locks.take_expired());
        self.commit(tx)
    }

    /// Deletes expired locks' rows; the frequent calls that expire nothing (a client polling
    /// `check_lock`) take no write lock.
    fn forget_expired(&self) -> Result<()> {
        let expired = self.locks.take_expired();
        if expired.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin();
        delete_rows(&mut tx, expired);
        self.commit(tx)
    }

    /// Loads the lock rows into the lock table (when the catalog opens).
    pub(crate) fn restore_locks(&self) -> Result<()> {
        let mut rows = Vec::new();
        self.scan(&keys::locks(), |k, v| {
            let row: StoredLock = codec::decode(v)?;
            rows.push((keys::decode_lock(k)?, row.components));
            Ok(true)
        })?;
        self.locks.restore(rows);
        Ok(())
    }
}

/// Adds the deletion of these locks' rows to `tx`.
fn delete_rows(tx: &mut Tx<'_>, ids: Vec<i64>) {
    for id in ids {
        tx.batch.delete(keys::lock(id));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::model::{LockMode, LockState};
    use crate::store::{LocalCatalog, LocalConfig};

    fn table_lock(table: &str) -> Vec<crate::model::LockComponent> {
        vec![crate::model::LockComponent {
            mode: LockMode::Exclusive,
            db_name: "default".into(),
            table_name: Some(table.into()),
            partition_name: None,
        }]
    }

    fn open(dir: &std::path::Path, timeout: Duration) -> LocalCatalog {
        let config = LocalConfig {
            lock_timeout: timeout,
            ..LocalConfig::under(dir)
        };
        LocalCatalog::open(&config).unwrap()
    }

    #[test]
    fn a_held_lock_outlives_a_restart_and_its_release_too() {
        let dir = tempfile::tempdir().unwrap();
        let (held, waiting) = {
            let catalog = open(dir.path(), Duration::from_secs(60));
            let held = catalog.lock_sync(table_lock("t")).unwrap();
            let waiting = catalog.lock_sync(table_lock("t")).unwrap();
            assert_eq!(waiting.state, LockState::Waiting);
            (held.id, waiting.id)
        };
        let catalog = open(dir.path(), Duration::from_secs(60));
        assert_eq!(
            catalog.check_lock_sync(held).unwrap().state,
            LockState::Acquired
        );
        assert_eq!(
            catalog.check_lock_sync(waiting).unwrap().state,
            LockState::Waiting
        );
        let newer = catalog.lock_sync(table_lock("t")).unwrap();
        assert!(newer.id > waiting);
        assert_eq!(newer.state, LockState::Waiting);
        catalog.unlock_sync(held).unwrap();
        drop(catalog);

        let catalog = open(dir.path(), Duration::from_secs(60));
        assert!(catalog.check_lock_sync(held).is_err());
        assert_eq!(
            catalog.check_lock_sync(waiting).unwrap().state,
            LockState::Acquired
        );
    }

    #[test]
    fn expired_locks_leave_the_store() {
        let dir = tempfile::tempdir().unwrap();
        {
            let catalog = open(dir.path(), Duration::from_millis(50));
            catalog.lock_sync(table_lock("t")).unwrap();
            std::thread::sleep(Duration::from_millis(80));
            // any lock call sweeps the expired ones out, in memory and on disk
            let other = catalog.lock_sync(table_lock("u")).unwrap();
            catalog.unlock_sync(other.id).unwrap();
        }
        let catalog = open(dir.path(), Duration::from_secs(60));
        let mut rows = 0;
        catalog
            .scan(&super::keys::locks(), |_, _| {
                rows += 1;
                Ok(true)
            })
            .unwrap();
        assert_eq!(rows, 0);
        assert_eq!(
            catalog.lock_sync(table_lock("t")).unwrap().state,
            LockState::Acquired
        );
    }
}
