from __future__ import annotations

import pytest

from tests.support.stack import Member, Stack

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("stack"))
    try:
        stack.start()
        stack.flask("users", "create", "--email", "ann@example.com", "--name", "Ann Lee", "--password", PASSWORD)
        stack.flask("users", "create", "--email", "bob@example.com", "--name", "Bob Stone", "--password", PASSWORD)
        stack.flask("users", "create", "--email", "eve@example.com", "--name", "Eve Out", "--password", PASSWORD)
        stack.flask("accounts", "add-member", "Ann Lee's account", "bob@example.com")
        yield stack
    except Exception:
        print(stack.logs())
        raise
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def ann(stack):
    return Member(stack, "ann@example.com", PASSWORD)


@pytest.fixture(scope="session")
def bob(stack):
    return Member(stack, "bob@example.com", PASSWORD)


@pytest.fixture(scope="session")
def eve(stack):
    return Member(stack, "eve@example.com", PASSWORD)


@pytest.fixture
def chat_id(ann):
    return ann.new_chat("integration")


@pytest.fixture(autouse=True)
def _show_logs_on_failure(request, stack):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.logs())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    result = outcome.get_result()
    setattr(item, f"rep_{result.when}", result)
