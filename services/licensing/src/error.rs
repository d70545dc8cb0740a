//! What can go wrong in each operation: one error per operation, with
//! kinds the API maps to status codes and messages a person can act on.

use chrono::{DateTime, Utc};
use sea_orm::DbErr;

use crate::ledger::{NoFreeSeat, show_date};
use crate::request::InvalidRequest;

/// Why `AddTargets` added nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AddTargetsError {
    /// The image name or a rule is malformed.
    #[error("{0}")]
    Invalid(#[from] InvalidRequest),

    /// Discovery never reported such an image.
    #[error(
        "image {image:?} is not known: no connected registry has reported a repository of \
         that name; check the name, or refresh the integration that should see it"
    )]
    UnknownImage { image: String },

    /// Discovery reported the image, then reported it gone.
    #[error(
        "image {image:?} was removed from its registry (discovery saw it gone on {}); \
         a target needs an image that exists",
        show_date(*removed_at)
    )]
    ImageRemoved {
        image: String,
        removed_at: DateTime<Utc>,
    },

    /// Several registries have a repository of that name.
    #[error(
        "image {image:?} is ambiguous: registries {} each have a repository of that name; \
         name the image as registry/repository",
        registries.join(", ")
    )]
    AmbiguousImage {
        image: String,
        registries: Vec<String>,
    },

    /// The image exists but has no tag a rule could match.
    #[error(
        "image {image:?} has no tags, so there is nothing a tag rule could select; push a \
         tag and add the target once discovery has seen it"
    )]
    NoTags { image: String },

    /// Some of the targets are live already.
    #[error("{}", already_exists(existing))]
    AlreadyExists {
        /// `(name, id)` of each live target.
        existing: Vec<(String, String)>,
    },

    /// Not enough free seats.
    #[error("{0}")]
    NoFreeSeat(NoFreeSeat),

    /// The datastore failed.
    #[error("datastore error: {0}")]
    Store(#[from] DbErr),
}

fn already_exists(existing: &[(String, String)]) -> String {
    let listed: Vec<String> = existing
        .iter()
        .map(|(name, id)| format!("{name} (id {id})"))
        .collect();
    let verb = if existing.len() == 1 {
        "target already exists"
    } else {
        "targets already exist"
    };
    format!("{verb}: {}; nothing was added", listed.join(", "))
}

/// Why `DeleteTarget` deleted nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DeleteTargetError {
    /// No id was given.
    #[error("no target id given")]
    MissingId,

    /// No target has this id.
    #[error("no target has id {id:?}")]
    NotFound { id: String },

    /// The target was deleted before.
    #[error(
        "target {name} (id {id}) was already deleted on {}",
        show_date(*deleted_at)
    )]
    AlreadyDeleted {
        id: String,
        name: String,
        deleted_at: DateTime<Utc>,
    },

    /// The datastore failed.
    #[error("datastore error: {0}")]
    Store(#[from] DbErr),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn already_exists_names_each_target() {
        let one = AddTargetsError::AlreadyExists {
            existing: vec![("acme/app:latest".into(), "t1".into())],
        };
        assert_eq!(
            one.to_string(),
            "target already exists: acme/app:latest (id t1); nothing was added"
        );
        let two = AddTargetsError::AlreadyExists {
            existing: vec![("a:1".into(), "t1".into()), ("a:2".into(), "t2".into())],
        };
        assert_eq!(
            two.to_string(),
            "targets already exist: a:1 (id t1), a:2 (id t2); nothing was added"
        );
    }
}
