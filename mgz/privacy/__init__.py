"""Data-subject rights (Art. 15-17 GDPR): the access report, consents, erasure, retention.

The access report (``access_report``) shows a client everything mgz holds about them,
decrypted and labelled in German, derived from the model registry so that a new
record type appears in it without anyone editing a list.
"""
