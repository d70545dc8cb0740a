//! The licence seat ledger: pure decisions over the seats the store holds.
//!
//! A seat is *in use* while a live target holds it, *locked* from the
//! moment its target is deleted until the lock ends, and *free* after
//! that. Free seats have no row at all; a locked row whose lock has ended
//! is free too and is removed when next seen. Re-adding a target whose
//! name (`repository:rule`) holds a locked seat takes that seat back, so a
//! delete followed by a re-add never costs a second seat.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

/// One seat row as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seat {
    pub(crate) id: String,
    /// `repository:rule` of the target that holds or last held the seat.
    pub(crate) target_name: String,
    /// The target that holds it, or last held it when locked.
    pub(crate) target_id: String,
    /// `None` while in use; the end of the lock once the target is deleted.
    pub(crate) locked_until: Option<DateTime<Utc>>,
}

/// What a seat is at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeatState {
    InUse,
    Locked(DateTime<Utc>),
    Free,
}

impl Seat {
    pub(crate) fn state(&self, now: DateTime<Utc>) -> SeatState {
        match self.locked_until {
            None => SeatState::InUse,
            Some(until) if until > now => SeatState::Locked(until),
            Some(_) => SeatState::Free,
        }
    }
}

/// When a seat released at `deleted_at` returns to the pool.
pub(crate) fn lock_end(deleted_at: DateTime<Utc>, lock: TimeDelta) -> DateTime<Utc> {
    deleted_at + lock
}

/// The pool at one moment, as `GetUsage` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) pool_size: u32,
    pub(crate) in_use: u32,
    /// Locked seats, the soonest to free first.
    pub(crate) locked: Vec<Seat>,
    pub(crate) free: u32,
}

/// How one new target gets its seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Allocation {
    /// Takes back the locked seat its name still holds.
    Reuse { seat_id: String },
    /// Takes a free seat.
    Take,
}

/// The seats for a whole `AddTargets` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// One per requested name, in the order given.
    pub(crate) allocations: Vec<Allocation>,
    /// Rows whose lock has ended: free seats, to delete.
    pub(crate) expired: Vec<String>,
}

/// Not enough free seats for the targets asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoFreeSeat {
    pub(crate) pool_size: u32,
    /// New seats the call needed (reused locked seats not counted).
    pub(crate) needed: u32,
    pub(crate) free: u32,
    /// When the next locked seat frees, if any is locked.
    pub(crate) next_free_at: Option<DateTime<Utc>>,
    /// When enough seats will have freed for this call, if they ever will
    /// without a change to the pool.
    pub(crate) enough_at: Option<DateTime<Utc>>,
}

/// The seats as they are, and the pool they come from.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    pub(crate) pool_size: u32,
    pub(crate) seats: Vec<Seat>,
}

impl Ledger {
    /// Counts seats in use, locked and free at `now`.
    pub(crate) fn usage(&self, now: DateTime<Utc>) -> Usage {
        let in_use = self.count(now, |s| s == SeatState::InUse);
        let locked = self.locked(now);
        let held = in_use.saturating_add(len_u32(locked.len()));
        Usage {
            pool_size: self.pool_size,
            in_use,
            free: self.pool_size.saturating_sub(held),
            locked,
        }
    }

    /// Decides a seat for each of `names`, all or nothing.
    pub(crate) fn allocate(&self, names: &[&str], now: DateTime<Utc>) -> Result<Plan, NoFreeSeat> {
        let mut reusable = self.locked(now);
        let allocations: Vec<Allocation> = names
            .iter()
            .map(
                |name| match reusable.iter().position(|s| s.target_name == *name) {
                    Some(index) => Allocation::Reuse {
                        seat_id: reusable.remove(index).id,
                    },
                    None => Allocation::Take,
                },
            )
            .collect();
        let needed = len_u32(
            allocations
                .iter()
                .filter(|a| **a == Allocation::Take)
                .count(),
        );
        let usage = self.usage(now);
        if needed > usage.free {
            return Err(self.shortage(&usage, needed, &reusable));
        }
        let expired = self
            .seats
            .iter()
            .filter(|s| s.state(now) == SeatState::Free)
            .map(|s| s.id.clone())
            .collect();
        Ok(Plan {
            allocations,
            expired,
        })
    }

    /// Works out when seats free, from the locks `AddTargets` would not
    /// reuse (`unused_locks`, soonest first).
    fn shortage(&self, usage: &Usage, needed: u32, unused_locks: &[Seat]) -> NoFreeSeat {
        let held = usage.in_use + len_u32(usage.locked.len());
        // Locks that must end before the first seat is free: more than one
        // when the pool was shrunk below what is held.
        let over = held.saturating_sub(self.pool_size);
        let lock_end = |ended: u32| {
            let index = usize::try_from(ended).ok()?.checked_sub(1)?;
            unused_locks.get(index)?.locked_until
        };
        NoFreeSeat {
            pool_size: self.pool_size,
            needed,
            free: usage.free,
            next_free_at: lock_end(over + 1),
            enough_at: lock_end(over + needed - usage.free),
        }
    }

    fn count(&self, now: DateTime<Utc>, state: impl Fn(SeatState) -> bool) -> u32 {
        len_u32(self.seats.iter().filter(|s| state(s.state(now))).count())
    }

    /// Seats locked at `now`, the soonest to free first.
    fn locked(&self, now: DateTime<Utc>) -> Vec<Seat> {
        let mut locked: Vec<Seat> = self
            .seats
            .iter()
            .filter(|s| matches!(s.state(now), SeatState::Locked(_)))
            .cloned()
            .collect();
        locked.sort_by(|a, b| (a.locked_until, &a.id).cmp(&(b.locked_until, &b.id)));
        locked
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// How dates appear in messages: to the second (a seat must not look free
/// a minute early), in UTC.
pub(crate) fn show_date(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl fmt::Display for NoFreeSeat {
    /// Says what is short and when that changes, e.g. "no free licence
    /// seat: all 10 seats are in use or locked; the next seat frees on
    /// 2026-04-30 12:00:00 UTC".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.free == 0 {
            match self.pool_size {
                0 => write!(f, "no free licence seat: the pool has no seats")?,
                1 => write!(
                    f,
                    "no free licence seat: the pool's only seat is in use or locked"
                )?,
                n => write!(
                    f,
                    "no free licence seat: all {n} seats are in use or locked"
                )?,
            }
        } else {
            // `needed` > `free` >= 1 here, so both are plural.
            write!(
                f,
                "not enough free licence seats: {} new targets need {} seats but only {} of \
                 {} are free",
                self.needed, self.needed, self.free, self.pool_size
            )?;
        }
        match (self.next_free_at, self.enough_at) {
            (None, _) => write!(
                f,
                "; no seat is locked, so none frees by itself: raise the pool size, or delete \
                 a target (its seat frees when its lock ends)"
            ),
            (Some(next), Some(enough)) if self.needed > 1 && enough != next => write!(
                f,
                "; the next seat frees on {}, enough for this request on {}",
                show_date(next),
                show_date(enough)
            ),
            (Some(next), _) => write!(f, "; the next seat frees on {}", show_date(next)),
        }
    }
}

#[cfg(test)]
#[path = "ledger/tests.rs"]
mod tests;
