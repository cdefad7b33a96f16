"""Accounts, roles, sessions, API tokens and the access policy of every endpoint."""
