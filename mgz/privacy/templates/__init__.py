"""The access report's page template and stylesheet (package data)."""
