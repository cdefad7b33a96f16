"""Statistics: the indicators, their reference figures and charts, the KIM report.

Counts over plaintext columns classified ``statistical`` (and ``pseudonymous``
references to join records of one client), read through
``mgz.core.classification.statistical_table``, never an ORM model with encrypted
fields: an import-linter contract (setup.cfg, "statistics and exports never decrypt")
forbids any import path from here to ``mgz.crypto.types`` or ``mgz.crypto.data_keys``,
so no code in this package can decrypt a value. The queries are set-based SQL on both
databases; a configured replica serves them (``replica``). docs/statistics.md states
every definition as implemented.
"""
