//! The DDL notification log (Hive's `get_next_notification` family).

use super::Handler;
use crate::thrift::convert::{self as cv, db_name};
use crate::thrift::throws as th;
use thrift_idl::hms as t;

impl Handler {
    pub(super) fn next_events(
        &self,
        r: t::NotificationEventRequest,
    ) -> thrift::Result<t::NotificationEventResponse> {
        let max = r
            .max_events
            .and_then(|m| usize::try_from(m).ok())
            .filter(|m| *m > 0);
        let fut = self
            .catalog
            .events_after(r.last_event, max.unwrap_or(10_000));
        let events = self.run(th::GET_NEXT_NOTIFICATION, fut)?;
        Ok(t::NotificationEventResponse {
            events: events.into_iter().map(cv::event_to).collect(),
        })
    }

    pub(super) fn current_event(&self) -> thrift::Result<t::CurrentNotificationEventId> {
        let fut = self.catalog.current_event_id();
        let event_id = self.run(th::GET_CURRENT_NOTIFICATION_EVENT_ID, fut)?;
        Ok(t::CurrentNotificationEventId { event_id })
    }

    /// Events of one database between two ids, counted in pages so the log is never loaded
    /// whole.
    pub(super) fn count_events(
        &self,
        r: t::NotificationEventsCountRequest,
    ) -> thrift::Result<t::NotificationEventsCountResponse> {
        let db = db_name(&r.db_name);
        let to = r.to_event_id.unwrap_or(i64::MAX);
        let limit = r
            .limit
            .and_then(|l| usize::try_from(l).ok())
            .filter(|l| *l > 0);
        let (mut last, mut n) = (r.from_event_id, 0usize);
        loop {
            let fut = self.catalog.events_after(last, 10_000);
            let page = self.run(th::GET_NOTIFICATION_EVENTS_COUNT, fut)?;
            let Some(end) = page.last().map(|e| e.id) else {
                break;
            };
            let in_range = page.iter().take_while(|e| e.id <= to);
            n += in_range
                .filter(|e| e.db_name.as_deref() == Some(db.as_str()))
                .count();
            if end >= to || limit.is_some_and(|l| n >= l) {
                break;
            }
            last = end;
        }
        let n = limit.map_or(n, |l| n.min(l));
        Ok(t::NotificationEventsCountResponse {
            events_count: i64::try_from(n).unwrap_or(i64::MAX),
        })
    }
}
