"""Exports of anonymised figures and tables, under the same rule as statistics.

The microdata export (issue 19): ``hierarchies`` declares how each quasi-identifier
may be generalised, ``anonymity`` searches those levels for the least-loss
k-anonymous release and checks l-diversity, both on count histograms only;
``microdata`` (with its SQL in ``microdata_query`` and its German text in
``microdata_text``) builds the release from the database, streaming its rows.

An import-linter contract (setup.cfg, "statistics and exports never decrypt") forbids
any import path from here to ``mgz.crypto.types`` or ``mgz.crypto.data_keys``: an
export reads statistical columns (``mgz.core.classification.statistical_table``) and
can never decrypt a value.
"""
