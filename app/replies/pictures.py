"""A drawn picture stored as its reply's attachment (SPEC §7); the drawing itself is
``app/llm/images.py``."""
from __future__ import annotations

from app.conversations.posting import store_attachment
from app.files import uploads
from app.llm.images import Picture
from app.models import LlmModel, Message
from app.models.chats import FAILED

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
