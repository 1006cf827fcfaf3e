from services.console.models import metadata
from services.kit.migration_env import run_migrations

run_migrations(metadata)
