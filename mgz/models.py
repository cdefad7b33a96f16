"""Every model module, imported once, so Alembic and the tests see the whole schema.

Add an area's models module here when the area gets tables.
"""

from mgz.core.db import Base

metadata = Base.metadata

__all__ = ["metadata"]
