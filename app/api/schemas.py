"""The JSON API's bodies, as pydantic models: spectree validates requests and responses
with them and writes the OpenAPI 3.1 document from them (``app/api/spec.py``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 2**31 - 1
Id = Field(ge=1, le=MAX_ID)


class Strict(BaseModel):
    """A JSON request body: unknown fields are refused rather than ignored, and no value is
    coerced (``0`` is not ``false``, ``"5"`` is not ``5``)."""
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable, machine-readable code, e.g. `not_found`, `invalid`, `rate_limited`.")
    message: str = Field(description="What went wrong, for a person.")


class Error(BaseModel):
    """Every error answer."""
    error: ErrorDetail


class UserOut(BaseModel):
    id: int
    name: str
    initials: str


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    byte_size: int
    kind: Literal["image", "audio", "pdf", "text"]
    url: str = Field(description="The file for a signed-in browser; API clients fetch `/api/v1/attachments/{id}`.")
    read_state: Literal["reading", "read", "partial", "unreadable"] | None = Field(
        description="PDFs only (else null): `reading` until a job has read its text (the reply waits for it), "
                    "then `read`, `partial` (a cap or a damaged part stopped it) or `unreadable`.")
    read_note: str | None = Field(description="What a partial or failed read left out, for people.")
    page_count: int | None = Field(description="A PDF's pages, once read.")


class ToolCallOut(BaseModel):
    id: str = Field(description="The provider's id of the call.")
    name: str
    arguments: dict[str, Any] | list[Any] | str | None = Field(
        description="The arguments as JSON, or the text the model sent when it was not JSON.")
    round: int = Field(description="Which model call of the reply asked for it, from 1.")
    status: Literal["running", "ok", "error"]
    result: str | None = Field(description="What the tool answered, or the error the model was sent.")
    duration_ms: int | None
    server: str | None = Field(default=None, description="The MCP server's name; null for Confab's own tools.")


class MessageOut(BaseModel):
    """MESSAGE (SPEC §5): the same object the event stream and Socket.IO carry."""
    id: int
    chat_id: int
    role: Literal["user", "assistant", "tool", "system"]
    status: Literal["pending", "streaming", "completed", "failed", "cancelled", "interrupted"]
    content: str
    reasoning: str
    user: UserOut | None = Field(description="The author of a user message; null for replies.")
    model_id: str | None
    input_tokens: int | None
    cached_tokens: int | None
    output_tokens: int | None
    reasoning_tokens: int | None
    cost: float | None = Field(description="USD.")
    error: str | None
    attachments: list[AttachmentOut]
    tool_calls: list[ToolCallOut]
    context: dict[str, Any] | None = Field(description="What the model was sent (messages, trimming).")
    reply_to_id: int | None
    parent_id: int | None
    created_at: datetime
    html: str | None = Field(None, description="Sanitised HTML, once the message is finished.")
    siblings: list[int] | None = Field(None, description="The ids of this turn's versions, in order.")
    sibling_index: int | None = Field(None, description="Which of `siblings` this is, from 1.")


class ModelOut(BaseModel):
    id: str
    name: str
    kind: Literal["chat", "image"]
    provider: str = Field(description="The provider's key in the model file.")
    context_window: int
    max_output_tokens: int
    input_price: float | None = Field(description="USD per million input tokens; null when no price is known "
                                                  "(its replies then have a null cost).")
    cached_input_price: float | None = Field(description="USD per million cached input tokens.")
    output_price: float | None = Field(description="USD per million output tokens; null when no price is known.")
    image_price: float | None = Field(description="USD per image (image models).")
    price_source: Literal["admin", "file", "provider", "library"] | None = Field(
        description="Where the prices came from: an administrator, the model file, the provider's own list, or the "
                    "price library.")
    capabilities: list[str] = Field(description="Of `vision`, `audio`, `pdf`, `tools`, `streaming`, `reasoning`, "
                                                "`structured_output`.")
    enabled: bool
    available: bool = Field(description="Still in its provider's list of models.")


class ModelList(BaseModel):
    models: list[ModelOut]


class ChatOut(BaseModel):
    id: int
    account_id: int
    title: str | None = Field(description="Null until set or generated.")
    display_title: str
    model_id: str
    instructions: str | None
    creator: UserOut | None
    leaf_id: int | None = Field(description="The last message of the shown path.")
    private: bool = Field(description="Only its creator sees it.")
    created_at: datetime
    updated_at: datetime


class ChatWithMessages(ChatOut):
    messages: list[MessageOut] = Field(description="The shown path, oldest first.")


class ChatPage(BaseModel):
    chats: list[ChatOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class ChatQuery(BaseModel):
    account_id: int | None = Field(None, ge=1, le=MAX_ID,
                                   description="The account; default the token owner's own account.")
    q: str | None = Field(None, max_length=200, description="Only chats whose title contains this.")
    cursor: str | None = Field(None, pattern=r"^[0-9]{1,10}$", description="`next_cursor` of the previous page.")
    limit: int = Field(20, ge=1, le=100)


class NewChat(Strict):
    account_id: int | None = Field(None, ge=1, le=MAX_ID,
                                   description="The account; default the token owner's own account.")
    model_id: str | None = Field(None, max_length=120, description="Default: the default chat model.")
    title: str | None = Field(None, max_length=200)
    instructions: str | None = Field(None, max_length=20_000)
    private: bool = Field(False, description="Only you see it (no other member, not even an owner) until you share it "
                                             "(`POST /chats/{id}/share` on the pages).")


def _no_default(schema: dict) -> None:
    """An optional field that, when sent, must not be null: its schema shows no null default."""
    schema.pop("default", None)


class ChatChanges(Strict):
    """Only the fields sent change; send at least one."""
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})  # with Strict's settings

    title: str = Field(None, min_length=1, max_length=200, json_schema_extra=_no_default)
    model_id: str = Field(None, min_length=1, max_length=120, json_schema_extra=_no_default)
    instructions: str | None = Field(None, max_length=20_000, description="Null or an empty string clears them.")


class NewMessage(Strict):
    content: str = Field(description="The message; Markdown. `/image <description>` asks for a picture.")
    image: bool = Field(False, description="Draw the content with the image model instead of answering it.")


def _file_list(schema: dict) -> None:
    schema.pop("default", None)
    schema.update({"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"}})


class NewMessageForm(BaseModel):
    """The multipart form of a post: ``content`` and up to 10 ``files``."""
    content: str = Field("", description="May be empty when files are attached.")
    image: bool = Field(False, description="Draw the content with the image model.")
    files: Any = Field(None, json_schema_extra=_file_list,
                                      description="PDF, text, Markdown, CSV, JSON, PNG, JPEG, GIF, WebP, MP3 or WAV; "
                                                  "20 MB each, 50 MB in all.")


class Posted(BaseModel):
    user_message: MessageOut
    assistant_message: MessageOut


class CancelResult(BaseModel):
    cancel_requested: bool
    message: MessageOut


class Deleted(BaseModel):
    deleted: int


class ExportQuery(BaseModel):
    format: Literal["md", "json"] = "md"


class ChatExport(BaseModel):
    """The chat and its shown path, as MESSAGE objects."""
    format: Literal["confab.chat.v1"]
    exported_at: datetime
    chat: ChatOut
    participants: list[UserOut]
    messages: list[MessageOut]
