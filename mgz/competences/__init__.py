"""Kompetenzerfassung (goal 41) and Berufsanerkennung (goal 46)."""
