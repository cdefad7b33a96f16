"""Synthetic demo data: reproducible, plausible, consistent with the validation rules."""

from sqlalchemy import func, select

from mgz.clients.models import Client
from mgz.clients.synthetic import seed_clients
from mgz.consultations.models import Consultation
from mgz.core.actor import Actor
from mgz.core.db import database
from tests.conftest import events


def _seed(backend, make_app, seed, count=60):
    app = make_app(backend.new_database())
    with app.app_context():
        session = database(app).new_session()
        report = seed_clients(session, Actor.system("tests"), count=count, seed=seed, batch_size=25)
        logged = events(session, "demo.seed")
        rows = session.execute(
            select(
                Client.birth_year,
                Client.gender,
                Client.citizenship_group,
                Client.residence_status,
                Client.municipality,
                Client.moved_in_on,
            ).order_by(Client.case_number)
        ).all()
        clients = session.scalars(select(Client).order_by(Client.case_number)).all()
        names = [(c.first_name, c.last_name, c.birth_date) for c in clients]
        firsts = session.scalar(
            select(func.count()).select_from(Consultation).where(Consultation.kind == "first")
        )
        talks = session.scalars(select(Consultation)).all()
        for client in clients:  # load the encrypted fields before the session closes
            _ = (client.birth_date, client.entered_germany_on)
        session.close()
    return report, rows, names, firsts, clients, talks, logged


def test_same_seed_gives_the_same_data_and_another_seed_does_not(backend, make_app):
    first = _seed(backend, make_app, seed=11)
    again = _seed(backend, make_app, seed=11)
    other = _seed(backend, make_app, seed=12)
    assert first[1] == again[1]
    assert first[2] == again[2]
    assert first[1] != other[1]


def test_seeded_records_are_consistent(backend, make_app):
    report, rows, names, firsts, clients, talks, logged = _seed(backend, make_app, seed=3)
    assert report.clients == len(rows) == 60
    assert report.consultations == len(talks)
    # one first consultation at most per client, none in the future, none before move-in
    assert firsts <= 60
    by_client = {c.id: c for c in clients}
    for talk in talks:
        assert talk.held_on >= by_client[talk.client_id].moved_in_on
    for client in clients:
        assert client.birth_date < client.entered_germany_on <= client.moved_in_on
        assert client.birth_year == client.birth_date.year
        assert client.is_protection_seeker == (client.residence_status_group or "").startswith(
            "protection_"
        )
    assert {row.citizenship_group for row in rows} <= {"eu", "third_country", "stateless"}
    # every batch left one audit event with counts only
    assert [e["details"]["clients"] for e in logged] == [25, 25, 10]
    assert all(e["fields"] == [] for e in logged)
