//! The seat ledger: one row per seat that is in use or locked (free seats
//! have no row), and the single pool row every change to seats locks first.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::ledger::{Allocation, Plan, Seat};

/// The entity: one row per seat in use or locked.
pub(crate) mod seat {
    use sea_orm::entity::prelude::*;

    /// A seat held by a target, or locked after its target was deleted.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "seats")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub target_name: String,
        pub target_id: String,
        pub locked_until: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The entity of the one pool row.
mod pool {
    use sea_orm::entity::prelude::*;

    /// The row that serialises seat changes; `revision` counts them.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "seat_pool")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub revision: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Takes the pool lock for the rest of the transaction, so that deciding
/// which seats are free and taking them happen as one step however many
/// calls run at once.
///
/// The lock is a write to the one pool row, made before anything is read.
/// PostgreSQL holds the row lock until the transaction ends, so every other
/// seat transaction waits at this line (as with `SELECT ... FOR UPDATE`).
/// SQLite has one write lock for the whole database; writing first means
/// the transaction never has to upgrade a read lock, which SQLite refuses
/// with SQLITE_BUSY instead of waiting.
pub(crate) async fn lock_pool(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let bumped = pool::Entity::update_many()
        .col_expr(
            pool::Column::Revision,
            Expr::col(pool::Column::Revision).add(1),
        )
        .filter(pool::Column::Id.eq(1))
        .exec(txn)
        .await?;
    if bumped.rows_affected != 1 {
        return Err(DbErr::RecordNotFound("the seat_pool row is missing".into()));
    }
    Ok(())
}

/// Every seat row, for the ledger.
pub(crate) async fn all(db: &impl ConnectionTrait) -> Result<Vec<Seat>, DbErr> {
    let rows = seat::Entity::find().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| Seat {
            id: row.id,
            target_name: row.target_name,
            target_id: row.target_id,
            locked_until: row.locked_until,
        })
        .collect())
}

/// A new target and the name its seat is known by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Holder<'a> {
    pub(crate) target_id: &'a str,
    pub(crate) target_name: &'a str,
}

/// Carries out a plan from the ledger: drops ended locks, takes back
/// reused seats and adds new ones, one per holder in plan order.
pub(crate) async fn apply(
    txn: &impl ConnectionTrait,
    plan: &Plan,
    holders: &[Holder<'_>],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if !plan.expired.is_empty() {
        seat::Entity::delete_many()
            .filter(seat::Column::Id.is_in(plan.expired.iter().cloned()))
            .exec(txn)
            .await?;
    }
    for (allocation, holder) in plan.allocations.iter().zip(holders) {
        match allocation {
            Allocation::Reuse { seat_id } => {
                seat::Entity::update_many()
                    .col_expr(seat::Column::TargetId, Expr::value(holder.target_id))
                    .col_expr(
                        seat::Column::LockedUntil,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .col_expr(seat::Column::UpdatedAt, Expr::value(now))
                    .filter(seat::Column::Id.eq(seat_id.as_str()))
                    .exec(txn)
                    .await?;
            }
            Allocation::Take => {
                let row = seat::ActiveModel {
                    id: Set(uuid::Uuid::now_v7().to_string()),
                    target_name: Set(holder.target_name.to_owned()),
                    target_id: Set(holder.target_id.to_owned()),
                    locked_until: Set(None),
                    updated_at: Set(now),
                };
                seat::Entity::insert(row)
                    .exec_without_returning(txn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Locks the seat of a deleted target until `until`.
pub(crate) async fn lock(
    txn: &impl ConnectionTrait,
    target_id: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    seat::Entity::update_many()
        .col_expr(seat::Column::LockedUntil, Expr::value(Some(until)))
        .col_expr(seat::Column::UpdatedAt, Expr::value(now))
        .filter(seat::Column::TargetId.eq(target_id))
        .exec(txn)
        .await?;
    Ok(())
}
