from __future__ import annotations

import pytest

from tests.support.processes import start_demo_llm, stop


@pytest.fixture(scope="session")
def demo_llm(tmp_path_factory):
    """The demo LLM server as a real process; yields its base URL (no /v1)."""
    process, base = start_demo_llm(tmp_path_factory.mktemp("demo"))
    yield base
    stop(process)
