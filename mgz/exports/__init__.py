"""Exports of anonymised figures and tables (coming), under the same rule as statistics.

An import-linter contract (setup.cfg, "statistics and exports never decrypt") forbids
any import path from here to ``mgz.crypto.types`` or ``mgz.crypto.data_keys``: an
export reads statistical columns (``mgz.core.classification.statistical_table``) and
can never decrypt a value.
"""
