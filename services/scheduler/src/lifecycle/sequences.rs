//! Random input sequences against the invariants that matter most: never
//! two attempts in flight for one target, nothing new after deletion, and
//! every request under a fresh id. A fixed-seed generator keeps every run
//! the same, so a failure reproduces from its seed.

use std::collections::HashSet;
use std::time::{Duration, UNIX_EPOCH};

use super::*;

/// xorshift64*: enough randomness for input sequences, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

/// The ids a random event may name: mostly the one the target waits for,
/// sometimes an old or unknown one.
fn some_scan_id(rng: &mut Rng, state: &TargetState, issued: u32) -> ScanId {
    let waiting = match &state.phase {
        Phase::Scanning { scan, .. } | Phase::AwaitingRetry { scan, .. } => Some(&scan.id),
        Phase::Idle => None,
    };
    match (waiting, rng.below(10)) {
        (Some(id), 0..=6) => id.clone(),
        _ => ScanId::new(format!("scan-{}", rng.below(u64::from(issued) + 1))),
    }
}

/// A random input, and how far the clock moves before it arrives; timers
/// are sometimes fired on time, sometimes early.
fn some_input(rng: &mut Rng, state: &TargetState, issued: u32) -> (Input, Duration) {
    let step = Duration::from_secs(rng.below(40 * 60));
    let digest = ["sha256:a", "sha256:b", "sha256:c"][rng.below(3) as usize];
    let id = some_scan_id(rng, state, issued);
    let input = match rng.below(9) {
        0 | 1 => Input::DigestChanged {
            resolved: ResolvedTag::new(format!("v{}", rng.below(4)), digest),
            reason: ChangeReason::DigestChanged,
        },
        2 => Input::DailyDue,
        3 => Input::DatabaseUpdated,
        4 => Input::ScanCompleted { scan_id: id },
        5 => Input::ScanFailed {
            scan_id: id,
            error: "registry returned 503".to_owned(),
            retryable: rng.below(4) != 0,
        },
        6 => Input::ScanTimedOut { scan_id: id },
        7 => Input::RetryDue { scan_id: id },
        _ if rng.below(5) == 0 => Input::TargetDeleted,
        _ => Input::ScanCompleted { scan_id: id },
    };
    (input, step)
}

fn run_sequence(seed: u64) {
    let config = LifecycleConfig {
        max_attempts: 3,
        ..LifecycleConfig::default()
    };
    let mut rng = Rng(seed | 1);
    let mut state = TargetState::new();
    let mut now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut issued = 0_u32;
    let mut requested = HashSet::new();
    let mut in_flight = Some(ScanId::new("scan-0"));
    state.apply(
        Input::DigestChanged {
            resolved: ResolvedTag::new("v0", "sha256:a"),
            reason: ChangeReason::TargetCreated,
        },
        now,
        &config,
        &mut || ScanId::new("scan-0"),
    );
    requested.insert(ScanId::new("scan-0"));

    for step in 0..80 {
        let (input, elapsed) = some_input(&mut rng, &state, issued);
        now += elapsed;
        let was_deleted = state.deleted;
        let before = state.clone();
        let mut new_scan_id = || {
            issued += 1;
            ScanId::new(format!("scan-{issued}"))
        };
        let actions = state.apply(input.clone(), now, &config, &mut new_scan_id);
        let context = format!("seed {seed} step {step}: {input:?} on {before:?} gave {actions:?}");

        // The scheduler's view of what runs: ended by an answer for it or
        // by an accepted timeout.
        if let Input::ScanCompleted { scan_id }
        | Input::ScanFailed { scan_id, .. }
        | Input::ScanTimedOut { scan_id } = &input
        {
            let ended =
                !matches!(&state.phase, Phase::Scanning { scan, .. } if scan.id == *scan_id);
            if in_flight.as_ref() == Some(scan_id) && ended {
                in_flight = None;
            }
        }
        let requests: Vec<&ScanRequest> = actions
            .iter()
            .filter_map(|action| match action {
                Action::RequestScan(request) => Some(request),
                _ => None,
            })
            .collect();
        assert!(requests.len() <= 1, "two requests in one step; {context}");
        for request in requests {
            assert!(in_flight.is_none(), "a second scan in flight; {context}");
            assert!(!was_deleted, "a request for a deleted target; {context}");
            assert!(
                requested.insert(request.scan_id.clone()),
                "reused id; {context}"
            );
            assert_eq!(
                request.attempt > 1,
                request.reason == ScanReason::Retry,
                "{context}"
            );
            assert!(request.attempt <= config.max_attempts, "{context}");
            in_flight = Some(request.scan_id.clone());
        }
        let scanning = match &state.phase {
            Phase::Scanning { scan, .. } => Some(scan.id.clone()),
            _ => None,
        };
        assert_eq!(
            scanning, in_flight,
            "state and requests disagree; {context}"
        );
    }
}

#[test]
fn random_sequences_never_run_two_scans_for_one_target() {
    for seed in 0..3_000_u64 {
        run_sequence(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}
