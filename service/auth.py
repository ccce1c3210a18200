"""Bearer-token authentication for the moderation API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from moderation.accounts import Moderator
from moderation.errors import Forbidden, Unauthorized
from service.extensions import accounts

F = TypeVar("F", bound=Callable[..., Any])
ROLES = {"moderator": 1, "admin": 2}


def authenticate(header: str | None) -> Moderator:
    """The moderator a bearer token belongs to (looked up on every request, so revocation is immediate)."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return accounts().authenticate(token.strip())


def require(role: str) -> Callable[[F], F]:
    """Allow the view only to callers holding `role` or a higher one."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            moderator = authenticate(request.headers.get("Authorization"))
            if ROLES[moderator.role] < ROLES[role]:
                raise Forbidden()
            g.moderator = moderator
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature, which mypy cannot see

    return decorate
