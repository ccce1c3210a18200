"""Bearer-token authentication for the moderation API."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from moderation.errors import Forbidden, Unauthorized
from service.extensions import settings

F = TypeVar("F", bound=Callable[..., Any])
ROLES = {"moderator": 1, "admin": 2}


@dataclass(frozen=True)
class Moderator:
    name: str
    role: str


def authenticate(header: str | None) -> Moderator:
    """The moderator a bearer token belongs to; only the bootstrap admin token exists so far."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    admin = settings().admin_token
    if admin and hmac.compare_digest(token.strip().encode(), admin.encode()):
        return Moderator(name="admin", role="admin")
    raise Unauthorized("The bearer token is not valid.")


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

        return wrapper  # type: ignore[return-value]

    return decorate
