"""Synthetic placements, benefits and measures: plausible, valid, in the demo's mix."""

from collections import Counter

from sqlalchemy import select

from mgz.clients.models import Client
from mgz.clients.synthetic import seed_clients
from mgz.core.actor import Actor
from mgz.core.clock import today
from mgz.core.db import database
from mgz.placements import service
from mgz.placements.models import Benefit, Measure, Placement
from mgz.profiling.service import is_valid_kldb_code
from mgz.reference import service as reference


def test_seeded_records_pass_the_rules_and_give_indicator_10_data(backend, make_app):
    app = make_app(backend.new_database())
    with app.app_context():
        session = database(app).new_session()
        report = seed_clients(session, Actor.system("tests"), count=600, seed=7, batch_size=200)
        placements = session.scalars(select(Placement)).all()
        benefits = session.scalars(select(Benefit)).all()
        measures = session.scalars(select(Measure)).all()
        clients = {c.id: c for c in session.scalars(select(Client))}
        kinds = Counter(p.kind for p in placements)
        years = {p.placed_on.year for p in placements}
        counted = sum(service.indicator_10(session, year) for year in years)
        valid = all(
            is_valid_kldb_code(session, p.kldb_code)
            and reference.is_valid(session, "placement_outcome", p.kind)
            and (
                p.employer_sector is None
                or reference.is_valid(session, "employer_sector", p.employer_sector)
            )
            for p in placements
        )
        providers = {m.provider for m in measures}
        session.close()
    assert report.records["placements"] == len(placements) > 40
    assert report.records["benefits"] == len(benefits) > 100
    assert report.records["measures"] == len(measures) > 20
    assert valid
    assert kinds["SVB"] > kinds["MINIJOB"] > kinds["SELBSTAENDIG"] > 0
    assert {"AUSBILDUNG", "EINSTIEGSQUALIFIZIERUNG", "PRAKTIKUM"} <= set(kinds)
    assert counted > 0  # protection seekers on SGB II placed into SVB/training
    now = today()
    for p in placements:
        client = clients[p.client_id]
        assert p.placed_on <= now and p.placed_on >= client.moved_in_on
        assert p.follow_up_due_on == service.six_months_after(p.placed_on)
        assert (p.still_employed is None) == (p.follow_up_checked_on is None)
        assert p.follow_up_checked_on is None or p.follow_up_due_on <= p.follow_up_checked_on <= now
    assert any(p.still_employed for p in placements)
    assert any(p.still_employed is None and p.follow_up_due_on <= now for p in placements)
    for b in benefits:
        assert b.to_on is None or b.from_on <= b.to_on
        assert (b.kind == "SGB_II") == bool(clients[b.client_id].receives_sgb2)
    assert len({(b.client_id, b.kind) for b in benefits}) == len(benefits)  # no overlap
    for m in measures:
        assert m.ends_on >= m.starts_on
        assert m.outcome is None or m.ends_on <= now
    assert providers <= {
        "Lernwerk Nord",
        "Bildungsträger Süd",
        "Berufsförderwerk Beispielstadt",
        "Kurswerk",
    }


def test_factories_make_audited_placements_and_benefits(app, db):
    from tests import factories
    from tests.conftest import events, last_seq

    actor = factories.adviser_actor(factories.make_user(db))
    with app.app_context():
        client = factories.make_client(db, actor)
        db.commit()
        since = last_seq(db)
        placement = factories.make_placement(db, actor, client, placed_on="2024-06-03")
        benefit = factories.make_benefit(db, actor, client)
    db.commit()  # audit events are appended at commit (joined to the test's transaction)
    assert placement.residence_status == client.residence_status
    assert benefit.kind == "SGB_II" and benefit.to_on is None
    assert [e["action"] for e in events(db, since=since)] == [
        "placement.create",
        "placement.read",
        "benefit.create",
        "benefit.read",
    ]
