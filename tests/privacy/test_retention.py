"""Retention: which files are due, the dry run, and applying it (idempotent)."""

from __future__ import annotations

from datetime import date

import pytest

from mgz.core.actor import Actor
from mgz.core.config import ConfigError, load
from mgz.privacy import holds
from mgz.privacy.retention import RECORD_TYPES, add_years, due_clients, parse_retention_years
from tests import factories
from tests.conftest import events

ONE_YEAR = dict.fromkeys(RECORD_TYPES, 1) | {"benefits": 10}
SYSTEM = Actor.system("tests")


def case_numbers(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line.startswith("MGZ-")]


@pytest.fixture
def population(app, db, monkeypatch):
    """Six files; only ``due`` has its retention period passed and no hold."""
    monkeypatch.setitem(app.config, "RETENTION_YEARS", ONE_YEAR)
    with app.app_context():
        return _population(db)


def _population(db):
    user = factories.make_user(db)
    actor = factories.adviser_actor(user)
    old = {"entered_germany_on": "2019-12-01", "moved_in_on": "2020-01-10"}
    made = {}
    for name in ("due", "recent", "long_kept", "held", "open_benefit", "no_records"):
        made[name] = factories.make_client(db, actor, **old)
        if name != "no_records":
            factories.make_consultation(db, actor, made[name], kind="first", held_on="2020-02-03")
    factories.make_consultation(db, actor, made["recent"], held_on=date.today().isoformat())
    # Benefits are kept 10 years after their end: the file's longest period counts.
    factories.make_benefit(db, actor, made["long_kept"], from_on="2020-02-01", to_on="2023-05-31")
    factories.make_benefit(db, actor, made["open_benefit"], from_on="2020-02-01")
    holds.place_hold(db, SYSTEM, made["held"].case_number, "audit", None, date.today())
    db.flush()
    return made


def test_only_the_file_past_its_period_and_without_hold_is_due(db, population):
    due = due_clients(db, ONE_YEAR, date.today())
    assert [(d.case_number, d.last_contact, d.due_on) for d in due] == [
        (population["due"].case_number, date(2020, 2, 3), date(2021, 2, 3))
    ]


def test_dry_run_and_apply_agree_and_apply_is_idempotent(db, runner, population):
    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    listed = case_numbers(dry.stdout)
    assert listed == [population["due"].case_number]
    assert "letzter Kontakt 2020-02-03" in dry.stdout and "Beispiel" not in dry.output

    applied = runner.invoke(args=["privacy", "retention", "--apply", "--batch-size", "1"])
    assert applied.exit_code == 0, applied.output
    assert [line.split()[1] for line in applied.stdout.splitlines()] == listed
    erased = events(db, "client.erased")
    assert [(e["object_id"], e["details"]["reason"]) for e in erased] == [
        (listed[0], "retention_expired")
    ]
    again = runner.invoke(args=["privacy", "retention", "--apply"])
    assert again.exit_code == 0 and again.stdout == ""
    assert len(events(db, "client.erased")) == 1
    assert case_numbers(runner.invoke(args=["privacy", "retention", "--dry-run"]).stdout) == []


def test_a_mode_is_required(runner):
    result = runner.invoke(args=["privacy", "retention"])
    assert result.exit_code == 2 and "--dry-run oder --apply" in result.output


def test_the_erase_command_needs_the_case_number_confirmed(db, runner, population):
    number = population["recent"].case_number
    wrong = runner.invoke(
        args=["privacy", "erase", number, "--reason", "data_subject_request"], input="MGZ-X\n"
    )
    assert wrong.exit_code == 1 and "confirm_case_number" in wrong.output
    held = runner.invoke(
        args=["privacy", "erase", population["held"].case_number, "--reason",
              "data_subject_request", "--yes"]
    )  # fmt: skip
    assert held.exit_code == 1 and "Prüfung durch Aufsicht" in held.output
    done = runner.invoke(
        args=["privacy", "erase", number, "--reason", "data_subject_request"], input=number + "\n"
    )
    assert done.exit_code == 0, done.output
    assert f"gelöscht: {number}" in done.output


def test_periods_are_checked_at_start_up():
    assert load(environ={})["RETENTION_YEARS"]["benefits"] == 10
    with pytest.raises(ConfigError, match="MGZ_RETENTION_YEARS: no period for"):
        load(environ={"MGZ_RETENTION_YEARS": "consultations=5"})
    with pytest.raises(ConfigError, match="between 1 and 50"):
        load(overrides={"RETENTION_YEARS": ONE_YEAR | {"measures": 0}}, environ={})
    text = ",".join(f"{name}={years}" for name, years in ONE_YEAR.items())
    assert parse_retention_years(text) == ONE_YEAR


def test_a_leap_day_plus_years_is_the_28th():
    assert add_years(date(2020, 2, 29), 5) == date(2025, 2, 28)


def test_the_demo_caseload_has_files_due_under_the_default_periods(app, db):
    # The demo seed (mgz demo, mgz demo seed): the dry run shows something.
    with app.app_context():
        factories.make_caseload(db, 200, seed=2026)
        due = due_clients(db, app.config["RETENTION_YEARS"], date.today())
    assert len(due) >= 1
    assert all(d.due_on < date.today() for d in due)
