"""Sending one email through the SMTP server in the settings (``MAIL_SERVER``, ``MAIL_PORT``,
``MAIL_USE_TLS`` or ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_FROM``),
with the standard library's ``smtplib`` and ``email``. Confab mails only links someone asked
for (an invitation, a password reset), only when a server is set, and always from a job:
a slow mail server never holds up a page."""
from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid

MAIL_TIMEOUT_SECONDS = 20


def configured(config: Mapping) -> bool:
    return bool(config.get("MAIL_SERVER"))


def send(config: Mapping, to: str, subject: str, body: str) -> None:
    """Send a plain-text message to ``to``; raises ``smtplib.SMTPException`` or ``OSError``
    when the server refuses or cannot be reached (the job fails, and its log says why)."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # one line, whatever a name holds
    message["Message-ID"] = make_msgid(domain="confab")
    message.set_content(body)
    connect = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with connect(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=MAIL_TIMEOUT_SECONDS) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
