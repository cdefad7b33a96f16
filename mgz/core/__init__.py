"""Shared plumbing: configuration, database, errors, API, logging, CLI."""
