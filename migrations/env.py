"""Alembic environment of the league: models from `league.core.models`, batch mode on SQLite.

Installed as `league.core.migrations` (see pyproject.toml) and run by `league.core.migrate`. The URL
comes from `config.attributes["database_url"]` (set there), else, for the Alembic command line of
a source checkout (alembic.ini), from the league's settings. The migration connection is a plain
one: no foreign-key pragma, so SQLite batch operations can copy tables.
"""

from alembic import context
from sqlalchemy import create_engine, pool

from league.core.models import Base
from league.core.settings import Settings

config = context.config
database_url = config.attributes.get("database_url") or Settings().resolved_database_url()


def run_migrations_offline() -> None:
    context.configure(url=database_url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = create_engine(database_url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
