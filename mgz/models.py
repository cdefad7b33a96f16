"""Every model module, imported once, so Alembic and the tests see the whole schema.

Add an area's models module here when the area gets tables.
"""

from mgz.audit import models as audit_models  # noqa: F401 - registers the tables
from mgz.auth import models as auth_models  # noqa: F401 - registers the tables
from mgz.clients import models as clients_models  # noqa: F401 - registers the tables
from mgz.competences import models as competences_models  # noqa: F401 - registers the tables
from mgz.consultations import models as consultations_models  # noqa: F401 - registers the tables
from mgz.core.db import Base
from mgz.courses import models as courses_models  # noqa: F401 - registers the tables
from mgz.crypto import models as crypto_models  # noqa: F401 - registers the tables
from mgz.exports import models as exports_models  # noqa: F401 - registers the tables
from mgz.placements import models as placements_models  # noqa: F401 - registers the tables
from mgz.privacy import models as privacy_models  # noqa: F401 - registers the tables
from mgz.profiling import models as profiling_models  # noqa: F401 - registers the tables
from mgz.reference import models as reference_models  # noqa: F401 - registers the tables
from mgz.statistics import models as statistics_models  # noqa: F401 - registers the tables

metadata = Base.metadata

__all__ = ["metadata"]
