"""Consultations: Erstgespräch and follow-ups (goal 2 of the Konzept)."""
