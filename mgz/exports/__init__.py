"""Exports of anonymised figures and tables for the Datenservicestelle (goal 87).

What is released: ``aggregates`` (tables per measure and dimension, with primary and
linked secondary cell suppression, ``linked_suppression``) and ``microdata`` (one row
per counselled person, k-anonymous by ``hierarchies`` and the lattice search in
``anonymity``, with l-diversity). Both return a ``content.Release``; ``writers`` and
``manifest`` lay it out as CSV, XLSX or JSON with every file's SHA-256, ``store``
writes it atomically into the instance folder, ``service`` records and audits it, and
``views`` / ``cli`` are the API and ``mgz export``.

An import-linter contract (setup.cfg, "statistics and exports never decrypt") forbids
any import path from here to ``mgz.crypto.types`` or ``mgz.crypto.data_keys``: an
export reads statistical columns (``mgz.core.classification.statistical_table``) and
can never decrypt a value.
"""
