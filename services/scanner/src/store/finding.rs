//! Each scan's findings exactly as the engine reported them, one row per
//! finding, linked to the issue it was counted as. They are never changed
//! afterwards: they are the scan's history, and its reports are built
//! from them.

use anyhow::Context as _;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use tagwarden_engine::matcher::Finding;

/// The `finding` table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finding")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub(crate) scan_id: String,
    pub(crate) issue_id: String,
    /// The finding's place in the engine's (sorted) result.
    pub(crate) position: i32,
    /// The engine's `Finding` as JSON.
    pub(crate) detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Writes a scan's findings, each with the issue it belongs to.
pub(crate) async fn insert_all(
    db: &impl ConnectionTrait,
    scan_id: &str,
    findings: &[(&Finding, &str)],
) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(findings.len());
    for (position, (finding, issue_id)) in findings.iter().enumerate() {
        rows.push(ActiveModel {
            scan_id: Set(scan_id.to_owned()),
            issue_id: Set((*issue_id).to_owned()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            detail: Set(serde_json::to_string(finding).context("failed to encode a finding")?),
            ..Default::default()
        });
    }
    // Batches keep each statement under SQLite's bound-parameter limit.
    for batch in rows.chunks(200) {
        Entity::insert_many(batch.to_vec())
            .exec_without_returning(db)
            .await
            .with_context(|| format!("failed to record the findings of scan {scan_id}"))?;
    }
    Ok(())
}

/// A scan's findings, in the engine's order, with their issue ids.
pub(crate) async fn of_scan(
    db: &impl ConnectionTrait,
    scan_id: &str,
) -> anyhow::Result<Vec<(Finding, String)>> {
    let rows = Entity::find()
        .filter(Column::ScanId.eq(scan_id))
        .order_by_asc(Column::Position)
        .all(db)
        .await
        .with_context(|| format!("failed to load the findings of scan {scan_id}"))?;
    rows.into_iter()
        .map(|row| {
            let finding = serde_json::from_str(&row.detail)
                .with_context(|| format!("a stored finding of scan {scan_id} is unreadable"))?;
            Ok((finding, row.issue_id))
        })
        .collect()
}
