"""Synthetic placements, benefits and measures (filled in below)."""
