"""Pictures stored as their reply's attachments (SPEC §7): a drawn picture (the drawing itself
is ``app/llm/images.py``) and the pictures MCP tools returned."""
from __future__ import annotations

from app.conversations.posting import store_attachment
from app.files import uploads
from app.llm.images import Picture
from app.models import LlmModel, Message
from app.models.chats import FAILED
from app.tools.loop import CallRecord

MAX_PICTURE_BYTES = 50 * 1024 * 1024


def attach_picture(message: Message, model: LlmModel | None, picture: Picture, report: dict) -> None:
    """The drawn picture as the reply's attachment (checked like any upload), its revised
    prompt as the reply's text, and its price."""
    try:
        checked = uploads.inspect("image.png", picture.data, MAX_PICTURE_BYTES)
    except uploads.UploadError:
        message.status, message.error = FAILED, "The image model sent something that is not a picture."
        return
    extension = checked.content_type.split("/")[1].replace("jpeg", "jpg")
    checked.filename = f"image-{message.id}.{extension}"
    message.attachments.append(store_attachment(checked))
    message.content = picture.revised_prompt or ""
    report["revised_prompt"] = picture.revised_prompt
    if model is not None and model.image_price is not None:
        message.cost = model.image_price


def attach_tool_pictures(message: Message, records: list[CallRecord]) -> None:
    """Each picture a tool call returned, as the reply's attachment (checked like any upload:
    one that is not really a picture is left out), named for its call."""
    for record in records:
        for number, picture in enumerate(record.pictures, start=1):
            try:
                checked = uploads.inspect("tool-picture", picture.data, MAX_PICTURE_BYTES)
            except uploads.UploadError:
                continue
            if not checked.content_type.startswith("image/"):
                continue
            extension = checked.content_type.split("/")[1].replace("jpeg", "jpg")
            checked.filename = f"{record.name[:60]}-{record.round}-{number}.{extension}"
            message.attachments.append(store_attachment(checked))
