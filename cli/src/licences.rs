//! `tagwardenctl licences`: the licence pool, what holds it, and when the
//! locked seats of deleted targets return to it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tagwarden_proto::licensing::v1::{GetUsageRequest, LockedSeat, Usage};

use crate::client::Clients;
use crate::output::{self, Format, Render};

/// Show the licence pool: size, seats in use, locked and free.
#[derive(Debug, PartialEq, clap::Args)]
pub(crate) struct Args {
    /// Table or JSON.
    #[arg(long, short, value_enum, default_value_t)]
    pub(crate) output: Format,
}

pub(crate) async fn run(args: &Args, clients: &Clients) -> anyhow::Result<()> {
    let mut licensing = clients.licensing().await?;
    let usage = licensing.get_usage(GetUsageRequest {}).await?.into_inner();
    output::show(&UsageView::from(usage), args.output)
}

/// The pool as shown.
#[derive(Debug, Serialize)]
pub(crate) struct UsageView {
    pub(crate) pool_size: u32,
    pub(crate) in_use: u32,
    pub(crate) locked: Vec<LockedView>,
    pub(crate) free: u32,
}

/// A seat held back after its target was deleted.
#[derive(Debug, Serialize)]
pub(crate) struct LockedView {
    pub(crate) target_name: String,
    pub(crate) target_id: String,
    /// When the seat is free again (unset: the service did not say).
    pub(crate) locked_until: Option<DateTime<Utc>>,
}

impl From<Usage> for UsageView {
    fn from(usage: Usage) -> Self {
        Self {
            pool_size: usage.pool_size,
            in_use: usage.in_use,
            locked: usage.locked.into_iter().map(LockedView::from).collect(),
            free: usage.free,
        }
    }
}

impl From<LockedSeat> for LockedView {
    fn from(seat: LockedSeat) -> Self {
        Self {
            locked_until: output::time(seat.locked_until.as_ref()),
            target_name: seat.target_name,
            target_id: seat.target_id,
        }
    }
}

impl Render for UsageView {
    fn table(&self) -> String {
        let mut text = output::record(&[
            ("pool", self.pool_size.to_string()),
            ("in use", self.in_use.to_string()),
            ("locked", self.locked.len().to_string()),
            ("free", self.free.to_string()),
        ]);
        if !self.locked.is_empty() {
            text.push('\n');
            let rows = self.locked.iter().map(|seat| {
                vec![
                    seat.target_name.clone(),
                    seat.target_id.clone(),
                    output::when(seat.locked_until),
                ]
            });
            text.push_str(&output::table(
                &["LOCKED SEAT", "DELETED TARGET", "FREE FROM"],
                rows,
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> Usage {
        Usage {
            pool_size: 10,
            in_use: 2,
            locked: vec![LockedSeat {
                target_name: "acme/app:v*".into(),
                locked_until: Some(prost_types::Timestamp {
                    seconds: 1_774_958_400,
                    nanos: 0,
                }),
                target_id: "t-1".into(),
            }],
            free: 7,
        }
    }

    #[test]
    fn the_table_shows_counts_then_locked_seats() {
        let text = output::render(&UsageView::from(usage()), Format::Table).unwrap();
        assert_eq!(
            text,
            "pool    10\n\
             in use  2\n\
             locked  1\n\
             free    7\n\
             \n\
             LOCKED SEAT  DELETED TARGET  FREE FROM\n\
             acme/app:v*  t-1             2026-03-31 12:00:00 UTC\n"
        );
    }

    #[test]
    fn json_keeps_the_proto_field_names() {
        let text = output::render(&UsageView::from(usage()), Format::Json).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "pool_size": 10,
                "in_use": 2,
                "locked": [{
                    "target_name": "acme/app:v*",
                    "target_id": "t-1",
                    "locked_until": "2026-03-31T12:00:00Z"
                }],
                "free": 7
            })
        );
    }

    #[test]
    fn no_locked_seats_means_no_second_table() {
        let empty = Usage {
            pool_size: 3,
            free: 3,
            ..Usage::default()
        };
        let text = UsageView::from(empty).table();
        assert_eq!(text, "pool    3\nin use  0\nlocked  0\nfree    3\n");
    }
}
