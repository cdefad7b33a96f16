"""The data-key row read with a client file (one statement) is a cache like the others.

It stays wrapped until a field is read, and it must not outlive what the cache may
not outlive: the transaction, and a crypto-shredding in the same session.
"""

from __future__ import annotations

import pytest

from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.crypto import service as crypto_service
from mgz.crypto.errors import SubjectShreddedError
from tests import factories


def _opened_fresh(app, db):
    user = factories.make_user(db, roles=("adviser",))
    actor = factories.adviser_actor(user)
    client_id = factories.make_client(db, actor, last_name="Beispielfrau").id
    db.commit()
    db.expunge_all()  # a new read: the key comes with the file, not from the writes' cache
    access = CaseAccess(db, actor, AccessPolicy("assigned"))
    return actor, access.open(client_id)


def test_the_key_row_read_with_the_file_opens_its_fields(app, db):
    with app.app_context():
        _actor, client = _opened_fresh(app, db)
        assert client.last_name == "Beispielfrau"


def test_a_file_opened_then_shredded_in_the_same_session_reads_nothing(app, db):
    with app.app_context():
        actor, client = _opened_fresh(app, db)
        crypto_service.shred(db, actor, client.id)
        with pytest.raises(SubjectShreddedError):
            _ = client.last_name
