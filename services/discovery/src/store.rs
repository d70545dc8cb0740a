//! The service's own datastore and its schema migrations.

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Applies the service's migrations in order at every start.
pub(crate) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        Vec::new()
    }
}
