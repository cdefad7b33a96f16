"""Profiling (goal 4 of the Konzept): dated, append-only profiles of a client."""
