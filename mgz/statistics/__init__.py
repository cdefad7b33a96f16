"""Statistics for the Datenservicestelle (coming): counts over statistical columns only.

This package will hold the indicator queries and their report. It reads plaintext
columns classified ``statistical`` (and ``pseudonymous`` references to join records of
one client), through ``mgz.core.classification.statistical_table``, never an ORM model
with encrypted fields: an import-linter contract (setup.cfg, "statistics and exports
never decrypt") forbids any import path from here to ``mgz.crypto.types`` or
``mgz.crypto.data_keys``, so no code in this package can decrypt a value.
"""
