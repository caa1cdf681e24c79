//! Hive-style locks: a lock request on several objects is granted whole or queued, a queued
//! lock is granted on `check_lock` once nothing older conflicts, and a lock not heard from
//! (lock, check_lock, heartbeat) within the timeout expires. This is the lock table in
//! memory; the catalog also keeps every lock in RocksDB (`lock_rows`), so that a restart
//! neither frees a lock a client holds nor grants one it waits for, and `restore`s them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::catalog::LockStatus;
use crate::error::{Error, Result};
use crate::model::{LockComponent, LockMode, LockState};

#[derive(Debug)]
struct Entry {
    components: Vec<LockComponent>,
    acquired: bool,
    last_seen: Instant,
}

/// The lock table.
#[derive(Debug)]
pub(crate) struct Locks {
    timeout: Duration,
    inner: Mutex<Table>,
}

#[derive(Debug)]
struct Table {
    /// The last id handed out.
    last: i64,
    entries: BTreeMap<i64, Entry>,
    /// Ids expired since `take_expired` last ran.
    expired: Vec<i64>,
}

fn modes_conflict(a: LockMode, b: LockMode) -> bool {
    use LockMode::*;
    matches!(
        (a, b),
        (Exclusive, _)
            | (_, Exclusive)
            | (ExclWrite, SharedWrite | ExclWrite)
            | (SharedWrite, ExclWrite)
    )
}

/// Whether two components cover overlapping objects (a database covers its tables, a table
/// its partitions).
fn objects_overlap(a: &LockComponent, b: &LockComponent) -> bool {
    if a.db_name != b.db_name {
        return false;
    }
    match (&a.table_name, &b.table_name) {
        (Some(x), Some(y)) if x != y => false,
        (Some(_), Some(_)) => match (&a.partition_name, &b.partition_name) {
            (Some(p), Some(q)) => p == q,
            _ => true,
        },
        _ => true,
    }
}

fn conflicts(a: &[LockComponent], b: &[LockComponent]) -> bool {
    a.iter().any(|x| {
        b.iter()
            .any(|y| modes_conflict(x.mode, y.mode) && objects_overlap(x, y))
    })
}

impl Locks {
    /// Lock ids start from the clock (milliseconds, shifted), so ids handed out before a
    /// restart never name a lock granted after it.
    pub(crate) fn new(timeout: Duration) -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let first = i64::try_from(millis).unwrap_or(0).saturating_mul(1 << 10);
        Locks {
            timeout,
            inner: Mutex::new(Table {
                last: first,
                entries: BTreeMap::new(),
                expired: Vec::new(),
            }),
        }
    }

    /// Puts back locks kept from before a restart, each with a full timeout to be heard from.
    pub(crate) fn restore(&self, locks: Vec<(i64, Vec<LockComponent>)>) {
        let mut t = self.inner.lock();
        for (id, components) in locks {
            t.last = t.last.max(id);
            let entry = Entry {
                components,
                acquired: false,
                last_seen: Instant::now(),
            };
            // granted again by the next `check_lock`, by the same rule as before
            t.entries.insert(id, entry);
        }
    }

    /// The ids of locks found expired (by any call) since the last call.
    pub(crate) fn take_expired(&self) -> Vec<i64> {
        std::mem::take(&mut self.inner.lock().expired)
    }

    pub(crate) fn lock(&self, components: Vec<LockComponent>) -> LockStatus {
        let mut guard = self.inner.lock();
        self.expire(&mut guard);
        guard.last += 1;
        let id = guard.last;
        let map = &mut guard.entries;
        map.insert(
            id,
            Entry {
                components,
                acquired: false,
                last_seen: Instant::now(),
            },
        );
        let state = Self::try_acquire(map, id);
        LockStatus { id, state }
    }

    pub(crate) fn check(&self, id: i64) -> Result<LockStatus> {
        let mut guard = self.inner.lock();
        self.expire(&mut guard);
        let map = &mut guard.entries;
        let entry = map.get_mut(&id).ok_or_else(|| no_lock(id))?;
        entry.last_seen = Instant::now();
        Ok(LockStatus {
            id,
            state: Self::try_acquire(map, id),
        })
    }

    pub(crate) fn unlock(&self, id: i64) -> Result<()> {
        let mut guard = self.inner.lock();
        guard
            .entries
            .remove(&id)
            .map(|_| ())
            .ok_or_else(|| no_lock(id))
    }

    pub(crate) fn heartbeat(&self, id: i64) -> Result<()> {
        let mut guard = self.inner.lock();
        self.expire(&mut guard);
        let entry = guard.entries.get_mut(&id).ok_or_else(|| no_lock(id))?;
        entry.last_seen = Instant::now();
        Ok(())
    }

    /// Grants lock `id` if no older lock (held or queued) conflicts with it.
    fn try_acquire(map: &mut BTreeMap<i64, Entry>, id: i64) -> LockState {
        let Some(me) = map.get(&id) else {
            return LockState::NotAcquired;
        };
        if me.acquired {
            return LockState::Acquired;
        }
        let blocked = map
            .range(..id)
            .any(|(_, other)| conflicts(&me.components, &other.components));
        if blocked {
            return LockState::Waiting;
        }
        if let Some(me) = map.get_mut(&id) {
            me.acquired = true;
        }
        LockState::Acquired
    }

    fn expire(&self, t: &mut Table) {
        let timeout = self.timeout;
        let expired = &mut t.expired;
        t.entries.retain(|id, e| {
            let alive = e.last_seen.elapsed() < timeout;
            if !alive {
                expired.push(*id);
            }
            alive
        });
    }
}

fn no_lock(id: i64) -> Error {
    Error::NotFound(format!("No such lock: {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(mode: LockMode, table: Option<&str>) -> LockComponent {
        LockComponent {
            mode,
            db_name: "db".into(),
            table_name: table.map(Into::into),
            partition_name: None,
        }
    }

    #[test]
    fn exclusive_locks_exclude_each_other_until_released() {
        let locks = Locks::new(Duration::from_secs(60));
        let a = locks.lock(vec![comp(LockMode::Exclusive, Some("t"))]);
        let b = locks.lock(vec![comp(LockMode::Exclusive, Some("t"))]);
        assert_eq!(a.state, LockState::Acquired);
        assert_eq!(b.state, LockState::Waiting);
        assert_eq!(locks.check(b.id).unwrap().state, LockState::Waiting);
        let other = locks.lock(vec![comp(LockMode::Exclusive, Some("u"))]);
        assert_eq!(other.state, LockState::Acquired);
        locks.unlock(a.id).unwrap();
        assert_eq!(locks.check(b.id).unwrap().state, LockState::Acquired);
        assert!(matches!(locks.unlock(a.id), Err(Error::NotFound(_))));
    }

    #[test]
    fn shared_reads_coexist_and_db_locks_cover_tables() {
        let locks = Locks::new(Duration::from_secs(60));
        let r1 = locks.lock(vec![comp(LockMode::SharedRead, Some("t"))]);
        let r2 = locks.lock(vec![comp(LockMode::SharedRead, Some("t"))]);
        assert_eq!(
            (r1.state, r2.state),
            (LockState::Acquired, LockState::Acquired)
        );
        let db = locks.lock(vec![comp(LockMode::Exclusive, None)]);
        assert_eq!(db.state, LockState::Waiting);
    }

    #[test]
    fn abandoned_locks_expire() {
        let locks = Locks::new(Duration::from_millis(50));
        let a = locks.lock(vec![comp(LockMode::Exclusive, Some("t"))]);
        std::thread::sleep(Duration::from_millis(80));
        let b = locks.lock(vec![comp(LockMode::Exclusive, Some("t"))]);
        assert_eq!(b.state, LockState::Acquired);
        assert!(locks.check(a.id).is_err());
        assert_eq!(locks.take_expired(), vec![a.id]);
        assert!(locks.take_expired().is_empty());
    }

    #[test]
    fn restored_locks_keep_their_order_and_ids_move_on() {
        let locks = Locks::new(Duration::from_secs(60));
        let far = i64::MAX / 2;
        locks.restore(vec![
            (far, vec![comp(LockMode::Exclusive, Some("t"))]),
            (far + 1, vec![comp(LockMode::Exclusive, Some("t"))]),
        ]);
        assert_eq!(locks.check(far).unwrap().state, LockState::Acquired);
        assert_eq!(locks.check(far + 1).unwrap().state, LockState::Waiting);
        let next = locks.lock(vec![comp(LockMode::SharedRead, Some("u"))]);
        assert_eq!((next.id, next.state), (far + 2, LockState::Acquired));
    }
}
