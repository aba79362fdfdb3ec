from __future__ import annotations

import pytest

from tests.support.mailbox import start_mailbox
from tests.support.processes import start_demo_llm, stop


@pytest.fixture(scope="session")
def demo_llm(tmp_path_factory):
    """The demo LLM server as a real process; yields its base URL (no /v1)."""
    process, base = start_demo_llm(tmp_path_factory.mktemp("demo"))
    yield base
    stop(process)


@pytest.fixture
def mailbox(app):
    """A real SMTP server the app mails through (``MAIL_SERVER``); yields what it received."""
    controller, box = start_mailbox()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False,
                      MAIL_FROM="Confab <confab@example.com>")
    yield box
    controller.stop()
