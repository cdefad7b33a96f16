"""The shipped code lists, one TOML file per list (package data, read by mgz.reference.service)."""
