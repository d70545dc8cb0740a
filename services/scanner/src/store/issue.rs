//! Each target's issues with their state. Rows are never deleted: a fixed
//! issue stays, with when and by which scan it was fixed, so it can come
//! back (reopened) under the same id, and the history is kept for audit
//! after the target is deleted.

use anyhow::Context as _;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{LikeExpr, Query};
use sea_orm::{Condition, QueryOrder, QuerySelect};

use super::finding;

/// The `issue` table.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "issue")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) target_id: String,
    /// [`PackageIdentity::key`](crate::issues::PackageIdentity::key).
    pub(crate) identity_key: String,
    pub(crate) vulnerability_id: String,
    /// JSON list of the other ids.
    pub(crate) aliases: String,
    pub(crate) severity: String,
    /// 4 for critical down to 0 for unknown, for ordering.
    pub(crate) severity_rank: i32,
    pub(crate) cvss_score: Option<f64>,
    pub(crate) cvss_vector: Option<String>,
    pub(crate) package_name: String,
    /// Lower case, for the case-insensitive package filter.
    pub(crate) package_name_lower: String,
    pub(crate) source_name: Option<String>,
    pub(crate) installed_version: String,
    pub(crate) package_kind: String,
    pub(crate) path: String,
    pub(crate) layer: Option<String>,
    pub(crate) fixed_version: Option<String>,
    pub(crate) remediation: String,
    pub(crate) summary: Option<String>,
    /// `open`, `fixed` or `reopened`.
    pub(crate) state: String,
    pub(crate) first_seen_at_ms: i64,
    pub(crate) first_seen_scan_id: String,
    pub(crate) last_seen_at_ms: i64,
    pub(crate) last_seen_scan_id: String,
    pub(crate) fixed_at_ms: Option<i64>,
    pub(crate) fixed_by_scan_id: Option<String>,
    pub(crate) reopened_at_ms: Option<i64>,
    pub(crate) reopened_by_scan_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Every issue of a target, fixed ones included.
pub(crate) async fn of_target(
    db: &impl ConnectionTrait,
    target_id: &str,
) -> anyhow::Result<Vec<Model>> {
    Entity::find()
        .filter(Column::TargetId.eq(target_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await
        .with_context(|| format!("failed to load the issues of target {target_id}"))
}

/// One issue by id.
pub(crate) async fn get(db: &impl ConnectionTrait, id: &str) -> anyhow::Result<Option<Model>> {
    Entity::find_by_id(id.to_owned())
        .one(db)
        .await
        .with_context(|| format!("failed to load issue {id}"))
}

/// Which states a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateFilter {
    /// Open and reopened: everything not fixed.
    Active,
    /// Reopened only.
    Reopened,
    /// Fixed only.
    Fixed,
}

/// Which issues a listing shows; every field narrows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IssueFilter {
    pub(crate) target_id: Option<String>,
    /// The issues this scan found.
    pub(crate) scan_id: Option<String>,
    /// Stored severity words; empty means all.
    pub(crate) severities: Vec<String>,
    pub(crate) state: Option<StateFilter>,
    /// Package name, any case.
    pub(crate) package: Option<String>,
    /// Primary id or alias.
    pub(crate) vulnerability_id: Option<String>,
}

/// Where a page starts: the last issue of the previous page, in listing
/// order (most severe first, then by id, which is creation order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) severity_rank: i32,
    pub(crate) id: String,
}

/// One page of issues and where the next one starts, if there is one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Page {
    pub(crate) issues: Vec<Model>,
    pub(crate) next: Option<Cursor>,
}

/// Issues matching `filter`, most severe first, `size` at most, after
/// `after`.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    filter: &IssueFilter,
    after: Option<&Cursor>,
    size: u64,
) -> anyhow::Result<Page> {
    let mut query = Entity::find().filter(conditions(filter));
    if let Some(after) = after {
        query = query.filter(
            Condition::any()
                .add(Column::SeverityRank.lt(after.severity_rank))
                .add(
                    Condition::all()
                        .add(Column::SeverityRank.eq(after.severity_rank))
                        .add(Column::Id.gt(after.id.clone())),
                ),
        );
    }
    let mut issues = query
        .order_by_desc(Column::SeverityRank)
        .order_by_asc(Column::Id)
        .limit(size + 1)
        .all(db)
        .await
        .context("failed to list issues")?;
    let more = issues.len() as u64 > size;
    issues.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let next = issues.last().filter(|_| more).map(|last| Cursor {
        severity_rank: last.severity_rank,
        id: last.id.clone(),
    });
    Ok(Page { issues, next })
}

fn conditions(filter: &IssueFilter) -> Condition {
    let mut all = Condition::all();
    if let Some(target_id) = &filter.target_id {
        all = all.add(Column::TargetId.eq(target_id.clone()));
    }
    if let Some(scan_id) = &filter.scan_id {
        let found = Query::select()
            .column(finding::Column::IssueId)
            .from(finding::Entity)
            .and_where(finding::Column::ScanId.eq(scan_id.clone()))
            .to_owned();
        all = all.add(Column::Id.in_subquery(found));
    }
    if !filter.severities.is_empty() {
        all = all.add(Column::Severity.is_in(filter.severities.clone()));
    }
    all = match filter.state {
        None => all,
        Some(StateFilter::Active) => all.add(Column::State.ne("fixed")),
        Some(StateFilter::Reopened) => all.add(Column::State.eq("reopened")),
        Some(StateFilter::Fixed) => all.add(Column::State.eq("fixed")),
    };
    if let Some(package) = &filter.package {
        all = all.add(Column::PackageNameLower.eq(package.to_lowercase()));
    }
    if let Some(id) = &filter.vulnerability_id {
        let quoted = serde_json::to_string(id).unwrap_or_default();
        let escaped = quoted
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let in_aliases = LikeExpr::new(format!("%{escaped}%")).escape('\\');
        all = all.add(
            Condition::any()
                .add(Column::VulnerabilityId.eq(id.clone()))
                .add(Column::Aliases.like(in_aliases)),
        );
    }
    all
}
