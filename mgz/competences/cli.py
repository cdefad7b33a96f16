"""``mgz checklists load`` and the demo step that publishes the shipped checklists."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from mgz.competences import checklists
from mgz.core.actor import Actor
from mgz.core.demo import ORDER_SETUP, demo_step
from mgz.core.errors import DomainError
from mgz.core.unit_of_work import work_scope

checklists_group = AppGroup("checklists", help="Checklisten der Kompetenzerfassung.")


def _load(app: Flask, command: str) -> list[checklists.SeedResult]:
    with work_scope(app) as session:
        results = checklists.load_seed_templates(session, Actor.system(command))
    return results


@checklists_group.command(
    "load",
    help="Die mitgelieferten Checklisten veröffentlichen, deren Inhalt neu ist (idempotent).",
)
def load_command() -> None:
    """Publish the shipped checklists whose content is new (idempotent)."""
    try:
        results = _load(current_app, "checklists load")
    except DomainError as exc:
        # e.g. a code list the items name is not loaded yet (run `mgz reference load`)
        click.echo(f"checklists not loaded: {exc.detail} {sorted(exc.errors)}", err=True)
        sys.exit(1)
    for result in results:
        click.echo(f"{result.key:<28} v{result.version:<3} {result.outcome}")


# After the code lists (order ORDER_SETUP) that the items' code_list names.
@demo_step(order=ORDER_SETUP + 5)
def load_demo_checklists(app: Flask) -> list[str]:
    """Demo: publish the shipped checklists (after the code lists they refer to)."""
    results = _load(app, "demo")
    created = sum(1 for r in results if r.outcome == "created")
    return [f"Checklisten: {len(results)} mitgeliefert, {created} neu veröffentlicht"]


COMMANDS = [checklists_group]
