"""Who may use the API: the page's login (ASSISTANT_AUTH) as HTTP Basic, or the API key
(ASSISTANT_API_KEY) as a bearer token. With neither set the API is open, as the page is."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence

from assistant.app.api.schema import ApiError

API_KEY_USER = "api"  # the name requests made with the API key go by

REFUSED = ApiError(
    401,
    "Unauthorized: send the app's login (ASSISTANT_AUTH) as HTTP Basic, or the API key "
    "(ASSISTANT_API_KEY) as 'Authorization: Bearer <key>'.",
    kind="authentication_error",
)


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


class ApiLogin:
    def __init__(self, logins: Sequence[tuple[str, str]] = (), api_key: str | None = None) -> None:
        self.logins = list(logins)
        self.api_key = api_key or None

    @property
    def required(self) -> bool:
        return bool(self.logins or self.api_key)

    def user(self, authorization: str | None) -> str:
        """The user an ``Authorization`` header logs in ("" when no login is asked for);
        :data:`REFUSED` when it logs in no one."""
        if not self.required:
            return ""
        scheme, _, value = (authorization or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.api_key and _same(value, self.api_key):
            return API_KEY_USER
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise REFUSED from None
            name, _, password = decoded.partition(":")
            for user, expected in self.logins:
                # Every login is compared, so the time taken says nothing of which matched.
                if _same(name, user) & _same(password, expected):
                    return user
        raise REFUSED
