"""What a model reads of an MCP tool's result, and the pictures it carries.

A result's content blocks become one text: text blocks as they are, a text resource's text, a
link or a file named in brackets; with no text at all, the structured content as JSON. Pictures
(PNG, JPEG, GIF, WebP) are kept apart, to be stored on the reply and shown to a model that has
``vision``. The text is cut at the server's ``max_result_chars`` with a note saying so. All of it
is untrusted: it reaches a page only as text or through the sanitiser.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field

PICTURE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_PICTURE_BYTES = 8 * 1024 * 1024
MAX_PICTURES = 4


@dataclass
class Picture:
    mime_type: str
    data: bytes


@dataclass
class Converted:
    text: str
    is_error: bool
    pictures: list[Picture] = field(default_factory=list)


def convert(result: object, max_chars: int) -> Converted:
    """``result`` (an SDK ``CallToolResult``) as text, cut at ``max_chars``, and its pictures."""
    parts: list[str] = []
    pictures: list[Picture] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            parts.append(str(block.text))
        elif kind == "image":
            parts.append(_picture(block, pictures))
        elif kind == "audio":
            parts.append(f"[audio ({block.mime_type}) left out: Confab does not pass sound on]")
        elif kind == "resource_link":
            parts.append(f"[link: {block.name} <{block.uri}>]")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            parts.append(str(text) if text is not None
                         else f"[file {resource.uri} ({resource.mime_type or 'unknown type'}) left out]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, default=str))
    return Converted(text=clip("\n".join(parts), max_chars), is_error=bool(getattr(result, "is_error", False)),
                     pictures=pictures)


def _picture(block: object, pictures: list[Picture]) -> str:
    mime_type = str(getattr(block, "mime_type", "") or "").lower()
    if mime_type not in PICTURE_TYPES:
        return f"[picture ({mime_type or 'unknown type'}) left out: not a PNG, JPEG, GIF or WebP]"
    if len(pictures) >= MAX_PICTURES:
        return f"[picture left out: at most {MAX_PICTURES} per call]"
    try:
        data = base64.b64decode(str(block.data), validate=True)
    except (binascii.Error, ValueError):
        return "[picture left out: its data is not base64]"
    if len(data) > MAX_PICTURE_BYTES:
        return f"[picture left out: larger than {MAX_PICTURE_BYTES // (1024 * 1024)} MB]"
    pictures.append(Picture(mime_type, data))
    return f"[picture {len(pictures)}: {mime_type}, {_size(len(data))}]"


def clip(text: str, max_chars: int) -> str:
    """``text``, or its first ``max_chars`` characters with a note of how much was cut."""
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n[result cut at {max_chars:,} of {len(text):,} characters]"


def _size(count: int) -> str:
    return f"{count} bytes" if count < 1024 else f"{count / 1024:.0f} KB"
