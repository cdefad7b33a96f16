"""Flask's signed cookie session, with the signer built only when a cookie is there.

Browsers log in with a cookie session; scripts (nearly every API call) send a Bearer
token and no cookie. Flask's interface builds its signing serializer (a key
derivation) on every request before it even looks for the cookie, and works out the
cookie's attributes on every response. Here a request without the cookie gets an
empty session at once, and a response whose session nobody touched is left alone.
Everything else is Flask's: the same signature, lifetime and cookie attributes.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessions(SecureCookieSessionInterface):
    """The cookie session of ``SESSION_COOKIE_NAME``, opened only when the request has one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session without the cookie; else Flask's (signature checked)."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        # No secret key: Flask's answer is None, a session that refuses every write.
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """For an empty session nobody changed only ``Vary: Cookie`` if it was read; else Flask's.

        That is what Flask does for it too, without working out the cookie's attributes.
        """
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
