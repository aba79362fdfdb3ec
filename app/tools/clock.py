"""``current_time``: the date and time now, in a time zone the model names (IANA), UTC by default."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.tools.base import Tool, ToolContext, ToolError


def run(arguments: dict, context: ToolContext) -> str:
    name = arguments.get("timezone") or "UTC"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(f"“{name}” is not an IANA time zone (for example Europe/Paris).") from None
    now = datetime.now(timezone.utc).astimezone(zone)
    return f"{now.isoformat(timespec='seconds')} ({now.strftime('%A %d %B %Y, %H:%M')} in {name})"


TOOL = Tool(
    name="current_time",
    description="The current date and time, in the given IANA time zone (default UTC).",
    parameters={"type": "object", "properties": {"timezone": {"type": "string", "maxLength": 64,
                                                              "description": "For example America/New_York"}},
                "additionalProperties": False},
    run=run,
)
