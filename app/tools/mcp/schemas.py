"""A server's input schema as a provider's ``parameters``.

The schema is passed on as the server wrote it (nested objects, enums, descriptions, ``$defs``),
with only what providers insist on: an object at the top with ``properties``. A schema that is
not a mapping, or whose top is not an object, is wrapped so the request is still valid; the
server checks the arguments it gets either way.
"""
from __future__ import annotations

import copy


def parameters(input_schema: object) -> dict:
    """The ``parameters`` of the function a model is offered for a tool with ``input_schema``."""
    if not isinstance(input_schema, dict) or input_schema.get("type", "object") != "object":
        return {"type": "object", "properties": {}}
    schema = copy.deepcopy(input_schema)
    schema.pop("$schema", None)
    schema["type"] = "object"
    if not isinstance(schema.get("properties"), dict):
        schema["properties"] = {}
    return schema
