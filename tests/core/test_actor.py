"""Views get the request's actor from the provider the auth area registers."""

from __future__ import annotations

import pytest
from flask import Flask

from mgz.auth import policy
from mgz.core.actor import Actor, current_actor, register_actor_provider


def test_without_a_provider_there_is_no_actor():
    app = Flask("probe")
    with app.app_context(), pytest.raises(RuntimeError, match="no actor provider"):
        current_actor()


def test_the_registered_provider_names_the_actor():
    app = Flask("probe")
    actor = Actor(7, "probe-user", frozenset({"adviser"}), "req-1", "adviser")
    register_actor_provider(app, lambda: actor)
    with app.app_context():
        assert current_actor() is actor


def test_the_app_registers_the_auth_provider(app):
    assert app.extensions["mgz.actor_provider"] is policy.current_actor
