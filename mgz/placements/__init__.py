"""Placements into work and training, benefits received, measures started.

Placements come with their six-month follow-up (goals 44, 45); benefits and
measures are what the Datenservicestelle needs besides (goal 87).

Benefits and measures live beside placements rather than in an area of their own:
they are records of a client file of the same kind (dates and codes the
Datenservicestelle counts, a remark encrypted with the client's key), they sit at
the same place in the area layers (above client files, below statistics), and
indicator 10 reads placements next to SGB II receipt. One area keeps one migration,
one layer in the contracts and one set of access rules (docs/architecture.md).
"""
