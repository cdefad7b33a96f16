"""Alembic environment: metadata of every mgz model; batch mode on SQLite."""

from alembic import context
from sqlalchemy import create_engine

from mgz.models import metadata

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    # Tables created outside the models (none yet) would be listed here.
    return True


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        run_migrations(conn)
    engine.dispose()
