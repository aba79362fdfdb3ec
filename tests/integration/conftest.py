from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _show_logs_on_failure(request, stack):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.logs())


@pytest.fixture
def listeners():
    """Socket.IO listeners a test opened; closed after it."""
    opened = []
    yield opened
    for listener in opened:
        listener.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    result = outcome.get_result()
    setattr(item, f"rep_{result.when}", result)
