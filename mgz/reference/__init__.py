"""Versioned reference data: the code lists (residence status, municipalities, …)."""
