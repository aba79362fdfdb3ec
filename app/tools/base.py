"""What a tool is: a name, a description, JSON-schema parameters (checked before it runs,
:func:`parse_arguments`) and a function that works for a :class:`ToolContext`."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ToolContext:
    """Who the tool works for: the member who asked, in which chat and account."""

    user_id: int | None
    chat_id: int
    account_id: int


class ToolError(Exception):
    """A tool could not do what was asked; the text goes back to the model."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict
    run: Callable[[dict, ToolContext], str]
    needs_database: bool = False
    isolated: bool = False  # runs in a process of its own, killed on timeout (``app/platform/isolated.py``)

    def as_openai(self) -> dict:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}


def parse_arguments(tool: Tool, raw: str) -> dict:
    """The call's arguments, checked against the tool's schema, or :class:`ToolError` saying
    what is wrong (the model gets it as the call's result and can try again)."""
    import jsonschema  # imported at the first call: workers whose models never call tools stay smaller

    try:
        arguments = json.loads(raw or "{}")
    except ValueError as exc:
        raise ToolError(f"The arguments are not valid JSON ({exc.msg} at character {exc.pos}).") from None
    if not isinstance(arguments, dict):
        raise ToolError("The arguments must be a JSON object.")
    problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(tool.parameters).iter_errors(arguments))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "arguments"
        raise ToolError(f"Invalid arguments for {tool.name}: {where}: {problem.message}")
    return arguments
