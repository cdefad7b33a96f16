"""The data-protection log: an append-only, hash-chained record of who did what."""
