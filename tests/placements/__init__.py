"""Tests of placements, follow-ups, benefits and measures."""
