"""``search_chats``: full-text search over the member's own account's conversations."""
from __future__ import annotations

from app.conversations.search import search
from app.tools.base import Tool, ToolContext


def run(arguments: dict, context: ToolContext) -> str:
    found = search(context.account_id, context.user_id, arguments["query"], arguments.get("limit", 5))
    if not found:
        return "No messages in this account's chats match."
    return "\n".join(f"{n}. “{hit['chat']}” ({hit['date']}, {hit['role']}): {hit['snippet']}"
                     for n, hit in enumerate(found, 1))


TOOL = Tool(
    name="search_chats",
    description="Search this team's earlier conversations by words; answers the best matches with the chat's "
                "title, the date and a snippet.",
    parameters={"type": "object", "properties": {
        "query": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Words to look for"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many results (default 5)"}},
        "required": ["query"], "additionalProperties": False},
    run=run,
    needs_database=True,
)
