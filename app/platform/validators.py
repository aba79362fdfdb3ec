"""Form validators shared by the blueprints."""
from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import ValidationError


class EmailAddress:
    """A syntactically valid address. Nothing is checked against the public DNS, so a
    self-hosted team can use private domains (``corp.internal``); IANA special-use names
    (``.local``, ``.test``) are still refused by email-validator."""

    def __init__(self, message: str = "Enter a valid email address.") -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        try:
            validate_email(field.data or "", check_deliverability=False, globally_deliverable=False)
        except EmailNotValidError as exc:
            raise ValidationError(self.message) from exc


def normalised(text: str | None) -> str:
    """Text as Confab stores what people type: Unicode NFC (one form for "é", however it was
    typed), without NUL characters, and stripped of surrounding white space."""
    return unicodedata.normalize("NFC", (text or "").replace("\x00", "")).strip()


def has_visible_text(text: str | None) -> bool:
    """True when ``text`` holds something a reader can see: white space, zero-width and
    other format or control characters count as nothing."""
    return any(unicodedata.category(char)[0] not in "ZC" for char in text or "")


class Visible:
    """The field holds something a reader can see (see :func:`has_visible_text`)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if not has_visible_text(field.data):
            raise ValidationError(self.message)
