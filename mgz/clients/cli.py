"""Demo data for client files: ``mgz demo seed`` and the demo start-up step."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.auth.models import User
from mgz.clients.synthetic import seed_clients, seeded_count
from mgz.core.actor import Actor
from mgz.core.db import session_scope
from mgz.core.demo import ORDER_DATA, demo_step

DEMO_ADVISER = "demo-adviser"
DEMO_CLIENTS = 200
DEMO_SEED = 2026


def _demo_adviser_id(session: Session) -> int | None:
    return session.scalar(select(User.id).where(User.username == DEMO_ADVISER))


def run_seed(app: Flask, clients: int, seed: int, show_progress: bool = True) -> tuple[int, int]:
    """Seed ``clients`` synthetic client files with a progress bar; returns the counts."""
    with session_scope(app) as session:
        adviser_id = _demo_adviser_id(session)
        actor = Actor.system("demo seed")
        if show_progress:
            with click.progressbar(length=clients, label="Synthetische Akten") as bar:
                report = seed_clients(
                    session,
                    actor,
                    count=clients,
                    seed=seed,
                    adviser_id=adviser_id,
                    progress=bar.update,
                )
        else:
            report = seed_clients(session, actor, count=clients, seed=seed, adviser_id=adviser_id)
    return report.clients, report.consultations


@demo_step(order=ORDER_DATA)
def demo_clients(app: Flask) -> list[str]:
    """Seed a small synthetic caseload into an empty demo database."""
    if not app.config.get("DEMO"):
        return []
    with session_scope(app) as session:
        if seeded_count(session):
            return []
    clients, talks = run_seed(app, DEMO_CLIENTS, DEMO_SEED, show_progress=False)
    return [f"Demo-Daten: {clients} synthetische Akten, {talks} Gespräche (Seed {DEMO_SEED})."]
