"""Who is acting: passed explicitly into every service function.

Services never read ``flask.g`` or ``request``; the view (or the CLI command) builds
an :class:`Actor` and hands it down, so the audit trail of the API, the CLI and the
tests is written by the same code. Views get theirs from :func:`current_actor`,
which asks the provider the auth area registers at start-up: so every area's views
(the audit log's included) depend on ``core``, not on ``auth``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

# Key under which the request's Actor sits in ``Session.info``, for code that runs
# deep inside a flush or a read (decryption failures) and must still name the actor.
SESSION_ACTOR_KEY = "mgz.actor"


@dataclass(frozen=True)
class Actor:
    """The acting user (or the system, for CLI and background work)."""

    user_id: int | None
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    request_id: str | None = None
    # The role under which this action runs, for the audit log (one of ``roles``).
    acting_role: str | None = None
    # Set when the request came with an API token: its id (the audit log names it,
    # with ``roles``, the token's roles this request could use).
    token_id: str | None = None

    @classmethod
    def system(cls, command: str, request_id: str | None = None) -> Actor:
        """The actor for a CLI command or background job, e.g. ``system("keys rotate")``."""
        return cls(None, f"system:{command}", frozenset({"system"}), request_id, "system")

    def has_role(self, role: str) -> bool:
        """Whether the actor holds ``role``."""
        return role in self.roles


ActorProvider = Callable[[], Actor]
_PROVIDER_KEY = "mgz.actor_provider"


def register_actor_provider(app: Flask, provider: ActorProvider) -> None:
    """Let ``provider`` name the actor of each request (the auth area does, at init_app)."""
    app.extensions[_PROVIDER_KEY] = provider


def current_actor() -> Actor:
    """The :class:`Actor` of this request, from the registered provider.

    Fails closed: without a provider (auth not initialised) there is no actor, and
    the request stops instead of acting as somebody unknown.
    """
    provider: ActorProvider | None = current_app.extensions.get(_PROVIDER_KEY)
    if provider is None:
        raise RuntimeError("no actor provider registered (mgz.auth.policy.init_app)")
    return provider()
