"""Data-subject rights: legal bases and consents, erasure, legal holds, retention.

Legal bases and consents per client and purpose (Art. 6, 9 GDPR), erasure by
crypto-shredding (Art. 17 GDPR, § 84 SGB X), legal holds that block it, and the
retention rule that finds the files due. The area sits above every area whose
records it erases or dates (placements, courses, ...) and below statistics and
exports. Course referrals ask it whether a purpose is lawful through the hook in
``mgz.core.purposes`` (the courses area lies below).
"""
