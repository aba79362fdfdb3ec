"""What an uploaded file is, decided by its bytes, and whether Confab takes it (SPEC §6).

The client's file name and Content-Type are never trusted: ``filetype`` reads the magic
bytes, each image and audio format's structure is checked beyond its first bytes (a PNG
signature in front of an HTML page is not a PNG), text must be UTF-8 without NULs and not
markup, and PDFs must have a PDF's frame (a cross-reference and an end) and no encryption.
The name is kept only when it is a plain file name. A PDF's text is read later, by a job in a
process of its own (``reading.py``): parsing one here would hold the web process for as long
as the file wants.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import filetype

IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
AUDIO_TYPES = {"audio/mpeg", "audio/wav"}
PDF = "application/pdf"
TEXT_TYPES = {"text/plain", "text/markdown", "text/csv", "application/json"}
ACCEPTED_LIST = "PDF, plain text, Markdown, CSV, JSON, PNG, JPEG, GIF, WebP, MP3 or WAV"
TEXT_SUFFIXES = {".md": "text/markdown", ".markdown": "text/markdown", ".csv": "text/csv", ".json": "application/json"}
MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|body|iframe|\?xml)", re.I)
# A document that *is* markup (HTML, SVG, XML) rather than text that quotes some tags.
MARKUP_DOCUMENT = re.compile(rb"^(\xef\xbb\xbf)?\s*<\s*(!doctype|html|svg|script|body|iframe|head|\?xml)", re.I)
MAX_NAME_CHARS = 255


class UploadError(ValueError):
    """A file Confab refuses; the text names the file and says why. ``status`` is 413 for a
    file or message over its size limit, else 422."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """A file that passed every check."""

    filename: str
    content_type: str
    data: bytes
    text: str | None = None  # the text of text files (a PDF's is read later)

    @property
    def kind(self) -> str:
        if self.content_type in IMAGE_TYPES:
            return "image"
        if self.content_type in AUDIO_TYPES:
            return "audio"
        if self.content_type == PDF:
            return "pdf"
        return "text"


def clean_filename(raw: str | None) -> str:
    """The name as stored, or :class:`UploadError` for a name that is not a plain file name
    (a path, control or direction-changing characters, or longer than 255 characters)."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    shown = "".join(c if unicodedata.category(c)[0] != "C" else "?" for c in name)[:80] or "(no name)"
    if not name:
        raise UploadError("A file without a name cannot be attached.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise UploadError(f"“{shown}” has control or text-direction characters in its name. Rename it and attach it again.")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        raise UploadError(f"“{shown}” is a path, not a file name. Attach the file itself.")
    if len(name) > MAX_NAME_CHARS:
        raise UploadError(f"“{shown}…” has a name longer than {MAX_NAME_CHARS} characters. Rename it and attach it again.")
    return name


def inspect(raw_name: str | None, data: bytes, max_bytes: int) -> Upload:
    """Check one file; :class:`UploadError` says what is wrong with it."""
    name = clean_filename(raw_name)
    if not data:
        raise UploadError(f"“{name}” is empty.")
    if len(data) > max_bytes:
        raise UploadError(f"“{name}” is {_megabytes(len(data))}; files can be at most {_megabytes(max_bytes)}.", 413)
    guessed = filetype.guess(data)
    mime = {"audio/x-wav": "audio/wav"}.get(guessed.mime, guessed.mime) if guessed else None
    if mime in IMAGE_TYPES or mime in AUDIO_TYPES:
        if MARKUP.search(data[:4096]) or not _well_formed(mime, data):
            raise UploadError(f"“{name}” starts like a {guessed.extension.upper()} file but is not one.")
        return Upload(name, mime, data)
    if mime == PDF:
        _check_pdf_frame(name, data)
        return Upload(name, PDF, data)
    if mime is None:
        return _text_upload(name, data)
    raise UploadError(f"“{name}” is a file of type {guessed.extension.upper()}. Confab takes {ACCEPTED_LIST} files.")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _text_upload(name: str, data: bytes) -> Upload:
    refused = UploadError(f"“{name}” is not a file type Confab takes. It takes {ACCEPTED_LIST} files.")
    if b"\x00" in data or MARKUP_DOCUMENT.match(data[:4096]):
        raise refused
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refused from None
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text[:65536]):
        raise refused
    lowered = name.lower()
    content_type = next((t for suffix, t in TEXT_SUFFIXES.items() if lowered.endswith(suffix)), "text/plain")
    if content_type == "application/json":
        try:
            json.loads(text)
        except ValueError:
            raise UploadError(f"“{name}” is named .json but is not valid JSON.") from None
    return Upload(name, content_type, data, text=text)


PDF_END = re.compile(rb"startxref\s+\d+\s+%%EOF")
PDF_ENCRYPTED = re.compile(rb"/Encrypt\s*(\d+\s+\d+\s+R|<<)")


def _check_pdf_frame(name: str, data: bytes) -> None:
    """A PDF must end as one does and must not be encrypted: two scans of the bytes, no
    parsing (a damaged inside is found by the reading job, which says so on the file)."""
    if not PDF_END.search(data, max(0, len(data) - 4096)):
        raise UploadError(f"“{name}” is a damaged PDF that cannot be read.")
    if PDF_ENCRYPTED.search(data):
        raise UploadError(f"“{name}” is password-protected. Remove the password and attach it again.")


def _well_formed(mime: str, data: bytes) -> bool:
    """Beyond the magic bytes: the format's own structure is where it should be."""
    if mime == "image/png":  # phones may append data after IEND: only its presence is required
        return data[12:16] == b"IHDR" and b"IEND" in data
    if mime == "image/jpeg":  # a marker follows the start of image (motion photos append video after EOI)
        return len(data) > 4 and 0xC0 <= data[3] <= 0xFE and b"\xff\xd9" in data
    if mime == "image/gif":
        return data.rstrip(b"\x00\r\n")[-1:] == b";"
    if mime == "image/webp":
        return data[:4] == b"RIFF" and int.from_bytes(data[4:8], "little") + 8 <= len(data) and data[12:15] == b"VP8"
    if mime == "audio/wav":
        return data[8:12] == b"WAVE" and b"fmt " in data[12:64]
    if mime == "audio/mpeg":
        return data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    return False


def check_message(uploads: list[tuple[str | None, bytes]], *, max_files: int, max_file_bytes: int,
                  max_total_bytes: int) -> list[Upload]:
    """Every file of one message, checked, or :class:`UploadError` for the first refused."""
    if len(uploads) > max_files:
        raise UploadError(f"A message can carry at most {max_files} files; this one has {len(uploads)}.")
    total = sum(len(data) for _, data in uploads)
    if total > max_total_bytes:
        raise UploadError(f"These files add up to {_megabytes(total)}; a message can carry at most "
                          f"{_megabytes(max_total_bytes)}.", 413)
    return [inspect(name, data, max_file_bytes) for name, data in uploads]


CAPABILITY_FOR = {"image": ("vision", "see images"), "audio": ("audio", "listen to audio")}


def refuse_what_the_model_cannot_take(uploads: list[Upload], model) -> None:
    """Images need a model with ``vision`` and audio one with ``audio``; PDFs and text go to
    any model (as text when it cannot read PDFs)."""
    for upload in uploads:
        needed = CAPABILITY_FOR.get(upload.kind)
        if needed and not model.has(needed[0]):
            raise UploadError(f"{model.name} cannot {needed[1]}, so it cannot take “{upload.filename}”. "
                              f"Switch the chat to a model with {needed[0]}, or send it without the file.")
