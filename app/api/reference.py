"""The API's OpenAPI document and its reference page, rendered here from the document itself
(no viewer from a CDN, nothing for the page's CSP to allow)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.api.spec import document

bp = Blueprint("api_reference", __name__)

METHOD_ORDER = ("get", "post", "patch", "put", "delete")


@bp.get("/api/v1/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document (public: it describes, it does not grant)."""
    return current_app.json.response(document())


@bp.get("/api/docs")
def reference():
    spec = document()
    return render_template("api/reference.html", spec=spec, operations=operations(spec),
                           schemas=schemas(spec))


def schema_name(ref: str) -> str:
    """``#/components/schemas/ChatOut.3a64a9f`` → ``ChatOut``."""
    return ref.rsplit("/", 1)[-1].split(".", 1)[0]


def type_of(schema: dict | None) -> str:
    """A schema as a short type, the way a person reads it: ``list of MessageOut``, ``string | null``."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema_name(schema["$ref"])
    if "anyOf" in schema:
        return " | ".join(type_of(option) for option in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(f'"{value}"' for value in schema["enum"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items'))}"
    if kind == "object" and "additionalProperties" in schema:
        return "object"
    if schema.get("format") in ("date-time",):
        return "date-time"
    return kind


def limits(schema: dict | None) -> str:
    """A schema's bounds and default, for the reference's notes column."""
    if not schema:
        return ""
    notes = []
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in schema:
            notes.append(f"{label} {schema[key]}")
    if schema.get("default") is not None:
        notes.append(f"default {schema['default']}")
    return ", ".join(notes)


def _body(content: dict | None) -> list[dict]:
    return [{"type": content_type, "schema": type_of(body.get("schema")), "named": "$ref" in (body.get("schema") or {})}
            for content_type, body in (content or {}).items()]


def operations(spec: dict) -> list[dict]:
    """Every operation of the document, grouped by tag, in path order."""
    groups: dict[str, list[dict]] = {}
    for path, item in spec["paths"].items():
        for method in METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            groups.setdefault((operation.get("tags") or ["other"])[0], []).append({
                "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "type": type_of(p.get("schema")), "notes": limits(p.get("schema")),
                                "description": p.get("description", "")} for p in operation.get("parameters", [])],
                "body": _body((operation.get("requestBody") or {}).get("content")),
                "responses": [{"status": status, "description": response.get("description", ""),
                               "body": _body(response.get("content"))}
                              for status, response in sorted(operation["responses"].items())],
            })
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items()]


def schemas(spec: dict) -> list[dict]:
    """The document's schemas with their fields (the validation-error helpers left out)."""
    found = []
    for key, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        if "properties" not in schema:
            continue
        required = set(schema.get("required", []))
        found.append({
            "name": schema_name(key),
            "description": schema.get("description", ""),
            "fields": [{"name": name, "type": type_of(prop), "required": name in required,
                        "notes": limits(prop), "description": prop.get("description", "")}
                       for name, prop in schema["properties"].items()],
        })
    return found
