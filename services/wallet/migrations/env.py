from services.kit.migration_env import run_migrations
from services.wallet.models import metadata

run_migrations(metadata)
