"""Moving running instances to another version of their definition (process owners)."""
from ..instance_migration import (MigrationFailed, Plan, create_migration_job, job_status, migrate_instance,
                                  preview_migration, start_migration)

__all__ = ["MigrationFailed", "Plan", "create_migration_job", "job_status", "migrate_instance", "preview_migration",
           "start_migration"]
