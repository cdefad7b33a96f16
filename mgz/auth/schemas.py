"""Request and response shapes of login, the current user, users and API tokens."""

from __future__ import annotations

from marshmallow import fields, validate

from mgz.auth.passwords import MAX_LENGTH, MIN_LENGTH
from mgz.auth.settings import TOKEN_MAX_DAYS
from mgz.core.access import ROLES
from mgz.core.schemas import InputSchema, OutputSchema

_ROLE = fields.String(validate=validate.OneOf(ROLES))

# The user-name rule: the service compares names lower-case, so upper case is fine.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
# Some text besides blanks: the service strips a label before it checks its length.
NOT_BLANK_PATTERN = r"^\s*\S"


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

    username = fields.String(
        required=True,
        validate=[
            validate.Length(min=3, max=64),
            validate.Regexp(
                USERNAME_PATTERN,
                error="3–64 Zeichen: Buchstaben a–z, Ziffern, Punkt, - und _; "
                "beginnt mit Buchstabe oder Ziffer.",
            ),
        ],
        metadata={"description": "Wird in Kleinbuchstaben gespeichert und verglichen."},
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=MIN_LENGTH, max=MAX_LENGTH),
        metadata={
            "description": f"{MIN_LENGTH}–{MAX_LENGTH} Zeichen; weder ein verbreitetes "
            "Passwort noch den Benutzernamen enthaltend (sonst 422)."
        },
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

    label = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=100),
            validate.Regexp(NOT_BLANK_PATTERN, error="Darf nicht leer sein."),
        ],
    )
    expires_in_days = fields.Integer(
        load_default=90, validate=validate.Range(min=1, max=TOKEN_MAX_DAYS)
    )
    roles = fields.List(
        _ROLE,
        validate=validate.Length(min=1, max=len(ROLES)),
        metadata={
            "description": "Rollen, die das Token nutzen darf: Rollen des Kontos, keine, die "
            "bei der Anmeldung einen zweiten Faktor verlangt (MGZ_TOTP_REQUIRED_ROLES), und "
            "Rollen mit Zugriff auf Klientendaten nur für das eigene Konto. Ohne Angabe: die "
            "Rollen des Kontos ohne Zugriff auf Klientendaten."
        },
    )


class TokenSchema(OutputSchema):
    """An API token without its secret."""

    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    prefix = fields.String(required=True)
    label = fields.String(required=True)
    roles = fields.List(
        fields.String(),
        required=True,
        attribute="role_list",
        metadata={"description": "die Rollen des Tokens (wirksam, soweit das Konto sie hat)"},
    )
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    """A new API token with its secret: shown this once, never again."""

    token = fields.String(required=True)
