//! How a [`ScanReason`] is written down: a stable lower-case word in the
//! store, the `tagwarden.events.v1.ScanReason` value on the wire.

use tagwarden_bus::events::ScanReason as WireReason;

use crate::ScanReason;

/// The word stored for a reason; never change one, rows keep it.
pub(crate) fn reason_to_code(reason: ScanReason) -> &'static str {
    match reason {
        ScanReason::TargetCreated => "target_created",
        ScanReason::DigestChanged => "digest_changed",
        ScanReason::Daily => "daily",
        ScanReason::DatabaseUpdated => "database_updated",
        ScanReason::Retry => "retry",
    }
}

/// The reason a stored word names, if any.
pub(crate) fn reason_from_code(code: &str) -> Option<ScanReason> {
    Some(match code {
        "target_created" => ScanReason::TargetCreated,
        "digest_changed" => ScanReason::DigestChanged,
        "daily" => ScanReason::Daily,
        "database_updated" => ScanReason::DatabaseUpdated,
        "retry" => ScanReason::Retry,
        _ => return None,
    })
}

/// The reason as sent in `scans.requested` and shown by the API.
pub(crate) fn reason_to_wire(reason: ScanReason) -> WireReason {
    match reason {
        ScanReason::TargetCreated => WireReason::TargetCreated,
        ScanReason::DigestChanged => WireReason::DigestChanged,
        ScanReason::Daily => WireReason::Daily,
        ScanReason::DatabaseUpdated => WireReason::DatabaseUpdated,
        ScanReason::Retry => WireReason::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips_through_its_code() {
        for reason in [
            ScanReason::TargetCreated,
            ScanReason::DigestChanged,
            ScanReason::Daily,
            ScanReason::DatabaseUpdated,
            ScanReason::Retry,
        ] {
            assert_eq!(reason_from_code(reason_to_code(reason)), Some(reason));
        }
        assert_eq!(reason_from_code("manual"), None);
    }
}
