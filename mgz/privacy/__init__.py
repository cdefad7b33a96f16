"""Data-subject rights: legal bases and consents, erasure, legal holds, retention, access.

Legal bases and consents per client and purpose (Art. 6, 9 GDPR), erasure by
crypto-shredding (Art. 17 GDPR, § 84 SGB X), legal holds that block it, and the
retention rule that finds the files due. The area sits above every area whose
records it erases or dates (placements, courses, ...) and below statistics and
exports. Course referrals ask it whether a purpose is lawful through the hook in
``mgz.core.purposes`` (the courses area lies below).

The access report (Art. 15 GDPR, ``access_report``) shows a client everything mgz
holds about them, decrypted and labelled in German, derived from the model registry
so that a new record type appears in it without anyone editing a list.
"""
