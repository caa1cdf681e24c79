//! Lock requests and answers between the wire and the domain.

use thrift_idl::hms as t;

use crate::model::{LockComponent, LockMode, LockState};
use crate::thrift::convert::db_name;

pub(super) fn lock_component(c: t::LockComponent) -> LockComponent {
    let mode = match c.type_ {
        t::LockType::SHARED_READ => LockMode::SharedRead,
        t::LockType::SHARED_WRITE => LockMode::SharedWrite,
        t::LockType::EXCL_WRITE => LockMode::ExclWrite,
        _ => LockMode::Exclusive,
    };
    let level = c.level;
    LockComponent {
        mode,
        db_name: db_name(&c.dbname),
        table_name: c
            .tablename
            .filter(|_| level != t::LockLevel::DB)
            .map(|s| s.to_lowercase()),
        partition_name: c.partitionname.filter(|_| level == t::LockLevel::PARTITION),
    }
}

pub(super) fn lock_response(st: crate::LockStatus) -> t::LockResponse {
    let state = match st.state {
        LockState::Acquired => t::LockState::ACQUIRED,
        LockState::Waiting => t::LockState::WAITING,
        LockState::Aborted => t::LockState::ABORT,
        LockState::NotAcquired => t::LockState::NOT_ACQUIRED,
    };
    t::LockResponse {
        lockid: st.id,
        state,
        error_message: None,
    }
}
