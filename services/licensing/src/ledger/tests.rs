use chrono::{DateTime, TimeDelta, Utc};

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn now() -> DateTime<Utc> {
    at("2026-03-01T12:00:00Z")
}

fn in_use(id: &str, name: &str) -> Seat {
    Seat {
        id: id.into(),
        target_name: name.into(),
        target_id: format!("t-{id}"),
        locked_until: None,
    }
}

fn locked(id: &str, name: &str, until: &str) -> Seat {
    Seat {
        locked_until: Some(at(until)),
        ..in_use(id, name)
    }
}

fn ledger(pool_size: u32, seats: Vec<Seat>) -> Ledger {
    Ledger { pool_size, seats }
}

#[test]
fn empty_pool_is_all_free() {
    let usage = ledger(10, vec![]).usage(now());
    assert_eq!((usage.in_use, usage.locked.len(), usage.free), (0, 0, 10));
}

#[test]
fn usage_counts_in_use_locked_and_treats_ended_locks_as_free() {
    let seats = vec![
        in_use("1", "app:latest"),
        locked("2", "app:v*", "2026-03-20T00:00:00Z"),
        locked("3", "web:latest", "2026-03-05T00:00:00Z"),
        locked("4", "old:latest", "2026-03-01T12:00:00Z"),
    ];
    let usage = ledger(10, seats).usage(now());
    assert_eq!(usage.in_use, 1);
    let names: Vec<_> = usage
        .locked
        .iter()
        .map(|s| s.target_name.as_str())
        .collect();
    assert_eq!(
        names,
        ["web:latest", "app:v*"],
        "soonest first; seat 4 ended now"
    );
    assert_eq!(usage.free, 7);
}

#[test]
fn shrunk_pool_reports_zero_free() {
    let seats = vec![in_use("1", "a:1"), in_use("2", "a:2"), in_use("3", "a:3")];
    let usage = ledger(2, seats).usage(now());
    assert_eq!((usage.in_use, usage.free), (3, 0));
}

#[test]
fn allocation_takes_free_seats_and_deletes_ended_locks() {
    let seats = vec![
        in_use("1", "app:latest"),
        locked("2", "old:latest", "2026-02-01T00:00:00Z"),
    ];
    let plan = ledger(2, seats)
        .allocate(&["app:v*"], now())
        .expect("seat 2's lock ended, so one seat is free");
    assert_eq!(plan.allocations, [Allocation::Take]);
    assert_eq!(plan.expired, ["2"]);
}

#[test]
fn re_adding_a_locked_name_reuses_its_seat_even_when_the_pool_is_full() {
    let seats = vec![
        in_use("1", "app:latest"),
        locked("2", "app:v*", "2026-03-20T00:00:00Z"),
    ];
    let plan = ledger(2, seats).allocate(&["app:v*"], now()).unwrap();
    assert_eq!(
        plan.allocations,
        [Allocation::Reuse {
            seat_id: "2".into()
        }]
    );
    assert!(plan.expired.is_empty());
}

#[test]
fn one_locked_seat_is_reused_once() {
    let seats = vec![locked("2", "app:v*", "2026-03-20T00:00:00Z")];
    let plan = ledger(2, seats)
        .allocate(&["app:v*", "app:latest"], now())
        .unwrap();
    assert_eq!(
        plan.allocations,
        [
            Allocation::Reuse {
                seat_id: "2".into()
            },
            Allocation::Take
        ]
    );
}

#[test]
fn full_pool_says_when_the_next_seat_frees() {
    let seats = vec![
        in_use("1", "app:latest"),
        locked("2", "app:v*", "2026-03-20T00:00:00Z"),
        locked("3", "web:latest", "2026-03-05T08:30:00Z"),
    ];
    let err = ledger(3, seats)
        .allocate(&["api:latest"], now())
        .unwrap_err();
    assert_eq!(err.next_free_at, Some(at("2026-03-05T08:30:00Z")));
    assert_eq!(
        err.to_string(),
        "no free licence seat: all 3 seats are in use or locked; \
         the next seat frees on 2026-03-05 08:30:00 UTC"
    );
}

#[test]
fn a_request_for_several_seats_says_when_enough_free() {
    let seats = vec![
        locked("2", "app:v*", "2026-03-20T00:00:00Z"),
        locked("3", "web:latest", "2026-03-05T08:30:00Z"),
    ];
    let err = ledger(3, seats)
        .allocate(&["a:1", "a:2", "a:3"], now())
        .unwrap_err();
    assert_eq!((err.needed, err.free), (3, 1));
    assert_eq!(
        err.to_string(),
        "not enough free licence seats: 3 new targets need 3 seats but only 1 of 3 are free; \
         the next seat frees on 2026-03-05 08:30:00 UTC, enough for this request on \
         2026-03-20 00:00:00 UTC"
    );
}

#[test]
fn a_pool_held_by_live_targets_only_never_frees_by_itself() {
    let err = ledger(1, vec![in_use("1", "app:latest")])
        .allocate(&["app:v*"], now())
        .unwrap_err();
    assert_eq!(err.next_free_at, None);
    assert_eq!(
        err.to_string(),
        "no free licence seat: the pool's only seat is in use or locked; no seat is \
         locked, so none frees by itself: raise the pool size, or delete a target (its \
         seat frees when its lock ends)"
    );
}

#[test]
fn shrunk_pool_frees_a_seat_only_after_enough_locks_end() {
    // Pool shrunk to 2 while one seat is used and two are locked: when the
    // first lock ends, 2 seats are still held, the whole pool.
    let seats = vec![
        in_use("1", "app:latest"),
        locked("2", "a:1", "2026-03-10T00:00:00Z"),
        locked("3", "a:2", "2026-03-12T00:00:00Z"),
    ];
    let err = ledger(2, seats).allocate(&["b:1"], now()).unwrap_err();
    assert_eq!(err.next_free_at, Some(at("2026-03-12T00:00:00Z")));
}

#[test]
fn the_lock_ends_after_the_configured_period() {
    assert_eq!(
        lock_end(now(), TimeDelta::days(30)),
        at("2026-03-31T12:00:00Z")
    );
}

#[test]
fn a_lock_ending_exactly_now_is_free() {
    let seat = locked("1", "a:1", "2026-03-01T12:00:00Z");
    assert_eq!(seat.state(now()), SeatState::Free);
    assert_eq!(
        seat.state(now() - TimeDelta::seconds(1)),
        SeatState::Locked(now())
    );
}
