"""Access declarations on views: which roles may call an endpoint, or that it is public.

The markers live in core so that core views (health, API docs) can declare their
policy too; ``mgz.auth.policy`` enforces them on every request, and default-denies
any endpoint that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

ROLES = ("adviser", "statistician", "auditor", "admin")
# Roles that never receive personal data: statisticians see anonymised figures,
# auditors the data-protection log, admins manage accounts and keys; admins get no
# client files by default, so personal-data endpoints may name advisers only.
NO_PERSONAL_DATA_ROLES = frozenset({"statistician", "auditor", "admin"})
# Endpoints registered by libraries, which we cannot decorate.
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json"})

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    """Who may call an endpoint."""

    roles: tuple[str, ...] = ()
    is_public: bool = False
    has_personal_data: bool = False

    def allows(self, roles: Iterable[str]) -> bool:
        """Whether a caller holding ``roles`` may call the endpoint (authenticated)."""
        return self.is_public or bool(set(self.roles) & set(roles))


def _mark(func: F, policy: Policy) -> F:
    if getattr(func, "_mgz_policy", None) is not None:
        raise TypeError(f"{func.__qualname__}: access policy declared twice")
    func._mgz_policy = policy  # type: ignore[attr-defined]
    # flask-smorest merges "manual_doc" into the OpenAPI operation.
    apidoc = dict(getattr(func, "_apidoc", {}))
    manual = dict(apidoc.get("manual_doc", {}))
    if policy.is_public:
        manual["x-public"] = True
    else:
        manual["x-roles"] = list(policy.roles)
    if policy.has_personal_data:
        manual["x-personal-data"] = True
    apidoc["manual_doc"] = manual
    func._apidoc = apidoc  # type: ignore[attr-defined]
    return func


def roles_required(*roles: str, personal_data: bool = False) -> Callable[[F], F]:
    """Allow only callers holding one of ``roles``.

    ``personal_data=True`` marks an endpoint whose responses carry personal data; it
    may then not name a role that must never see personal data (refused at import).
    """
    unknown = [role for role in roles if role not in ROLES]
    if not roles or unknown:
        raise ValueError(f"roles_required: unknown or no roles {unknown or roles}")
    if personal_data and NO_PERSONAL_DATA_ROLES & set(roles):
        raise ValueError(
            "roles_required: personal data may not go to "
            + ", ".join(sorted(NO_PERSONAL_DATA_ROLES & set(roles)))
        )

    def decorate(func: F) -> F:
        return _mark(func, Policy(roles=tuple(roles), has_personal_data=personal_data))

    return decorate


def public(func: F) -> F:
    """Allow everyone, signed in or not (health, login, API documentation)."""
    return _mark(func, Policy(is_public=True))


def policy_of(view: Callable[..., Any] | None, method: str) -> Policy | None:
    """The policy declared for ``method`` on a Flask view function, or None."""
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        name = method.lower()
        handler = getattr(view_class, name, None)
        if handler is None and name == "head":
            handler = getattr(view_class, "get", None)
        return getattr(handler, "_mgz_policy", None)
    return getattr(view, "_mgz_policy", None)
