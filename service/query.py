"""Loading query strings with a schema, so bad parameters get the same 422 shape as bad bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError

from moderation.errors import ValidationFailed


def load_query(schema: Schema, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validate query parameters; unknown ones (cache busters) are ignored."""
    try:
        return schema.load(dict(args), unknown=EXCLUDE)
    except ValidationError as err:
        raise ValidationFailed("A query parameter is not valid.", fields=err.messages_dict) from None
