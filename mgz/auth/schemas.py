"""Request and response shapes of login, the current user, users and API tokens."""

from __future__ import annotations

from marshmallow import fields, validate

from mgz.core.access import ROLES
from mgz.core.schemas import InputSchema, OutputSchema

_ROLE = fields.String(validate=validate.OneOf(ROLES))


class LoginSchema(InputSchema):
    """Credentials; ``otp`` is the 6-digit code when a second factor is enrolled."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=1024)
    )
    otp = fields.String(load_only=True, validate=validate.Regexp(r"^[0-9]{6}$"))


class MeSchema(OutputSchema):
    """The signed-in user."""

    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    auth_method = fields.String(required=True, metadata={"description": "session oder token"})
    csrf_token = fields.String(
        allow_none=True,
        metadata={"description": "für schreibende Anfragen mit Cookie im Header X-CSRF-Token"},
    )


class UserCreateSchema(InputSchema):
    """A new account."""

    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=1024)
    )
    roles = fields.List(_ROLE, required=True, validate=validate.Length(min=1))


class RolesSchema(InputSchema):
    """The complete new set of roles."""

    roles = fields.List(_ROLE, required=True, validate=validate.Length(min=1))


class UserSchema(OutputSchema):
    """An account (no credentials)."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    roles = fields.Method("_roles")
    disabled_at = fields.AwareDateTime(allow_none=True)
    has_second_factor = fields.Method("_second_factor")
    created_at = fields.AwareDateTime()

    def _roles(self, user: object) -> list[str]:
        return sorted(user.roles)  # type: ignore[attr-defined]

    def _second_factor(self, user: object) -> bool:
        return user.has_totp  # type: ignore[attr-defined,no-any-return]


class TokenCreateSchema(InputSchema):
    """A new API token for a user."""

    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    expires_in_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=730))


class TokenSchema(OutputSchema):
    """An API token without its secret."""

    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    prefix = fields.String(required=True)
    label = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    """A new API token with its secret: shown this once, never again."""

    token = fields.String(required=True)
