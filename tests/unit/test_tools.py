"""The built-in tools and the registry (issue 9): a calculator that parses and never evaluates
code, clear errors instead of hangs, arguments checked against each schema, and a search
that stays inside the member's account."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import psutil
import pytest

from app.conversations.posting import post_user_message
from app.conversations.search import search
from app.extensions import db
from app.identity.accounts import create_user
from app.models import Chat, ToolCall
from app.platform.isolated import IsolatedCalls, IsolatedError
from app.replies import store
from app.replies.context import build_request
from app.tools import registry
from app.tools.base import ToolContext, ToolError, parse_arguments
from app.tools.calculator import evaluate
from tests.support.chats import member_with_chat


@pytest.mark.parametrize(("expression", "value"), [
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("2 ** 10", 1024), ("2 ^ 10", 1024), ("-3 + +5", 2),
    ("7 // 2", 3), ("7 % 4", 3), ("sqrt(16) + abs(-2)", 6.0), ("round(pi, 3)", 3.142), ("max(1, 9, 4)", 9),
    ("factorial(10)", 3628800), ("log10(1000)", 3.0), ("1e3 / 8", 125.0),
])
def test_the_calculator_does_arithmetic(expression, value):
    assert evaluate(expression) == value


@pytest.mark.parametrize(("expression", "error"), [
    ("1 / 0", "Division by zero."), ("5 % 0", "Division by zero."),
    ("9 ** 9 ** 9", "The exponent 387420489 is too large"), ("10 ** 5000", "The result has more than 1000 digits."),
    ("factorial(100000)", "factorial takes one whole number up to 450."),
    ("__import__('os').system('true')", "Only numbers"), ("().__class__", "Only numbers"), ("x + 1", "Only numbers"),
    ("open('/etc/passwd')", "Only numbers"), ("2 +", "is not an arithmetic expression"), ("sqrt(-1)", "sqrt: math domain error"),
    ("1" * 501, "longer than 500 characters"), ("exp(1000)", "The result is too large."),
    ("round(1, -10**7)", "round takes at most 1000 digits."), ("round(2.5, 10**7)", "round takes at most 1000 digits."),
])
def test_the_calculator_refuses_what_is_not_arithmetic_or_too_big(expression, error):
    with pytest.raises(ToolError) as refused:
        evaluate(expression)
    assert error in str(refused.value)


def test_arguments_are_checked_against_each_tools_schema():
    calculator = registry.find("calculator")
    assert parse_arguments(calculator, '{"expression": "1+1"}') == {"expression": "1+1"}
    for raw, message in (('{"expression": 5}', "expression: 5 is not of type 'string'"),
                         ("{}", "'expression' is a required property"), ("[1]", "must be a JSON object"),
                         ('{"expression": "1", "extra": true}', "Additional properties are not allowed"),
                         ("{oops", "not valid JSON")):
        with pytest.raises(ToolError) as refused:
            parse_arguments(calculator, raw)
        assert message in str(refused.value)
    assert [t.name for t in registry.all_tools()] == ["calculator", "current_time", "search_chats"]
    for tool in registry.all_tools():
        jsonschema.Draft202012Validator.check_schema(tool.parameters)


def test_current_time_takes_an_iana_zone():
    clock = registry.find("current_time")
    context = ToolContext(None, 1, 1)
    assert "in Asia/Tokyo" in clock.run({"timezone": "Asia/Tokyo"}, context)
    assert "in UTC" in clock.run({}, context)
    with pytest.raises(ToolError):
        clock.run({"timezone": "Mars/Olympus"}, context)


def test_search_finds_only_the_members_own_accounts_messages(app):
    ann = create_user("ann@example.com", "Ann Lee", "correct horse battery")
    eve = create_user("eve@example.com", "Eve Out", "correct horse battery")
    db.session.flush()
    ann_account, eve_account = ann.memberships[0].account, eve.memberships[0].account
    plans = Chat(account=ann_account, creator=ann, model_id="demo-chat", title="Launch plans")
    secret = Chat(account=eve_account, creator=eve, model_id="demo-chat", title="Eve's secret")
    db.session.add_all([plans, secret])
    db.session.flush()
    post_user_message(plans, ann, "The launch codeword is aardvark, keep it quiet")
    post_user_message(secret, eve, "aardvark is also Eve's word")
    db.session.commit()
    [hit] = search(ann_account.id, ann.id, "aardvark")
    assert hit["chat"] == "Launch plans" and "«aardvark»" in hit["snippet"] and hit["role"] == "user"
    assert search(ann_account.id, eve.id, "aardvark") == []  # not a member: nothing
    assert search(ann_account.id, ann.id, '" OR * NEAR( aardvark') == [hit]  # search syntax is read as words
    assert search(eve_account.id, ann.id, "aardvark") == []  # another account: nothing, even named


def test_a_later_turn_sends_each_rounds_calls_followed_by_their_results(app):
    ann, chat = member_with_chat()
    _, reply = post_user_message(chat, ann, "What is 6*7 and then double it?")
    reply.status, reply.content = "completed", "84"
    reply.tool_calls.extend([
        ToolCall(tool_call_id="a", name="calculator", arguments={"expression": "6*7"}, round=1, status="ok", result="42"),
        ToolCall(tool_call_id="b", name="calculator", arguments="{bad", round=2, status="error", result="Not JSON."),
    ])
    db.session.flush()
    _, next_reply = post_user_message(chat, ann, "Thanks")
    sent = build_request(store.history(next_reply.parent_id), None, 32000, 1000).messages
    assert [(m["role"], m.get("tool_call_id")) for m in sent] == [
        ("user", None), ("assistant", None), ("tool", "a"), ("assistant", None), ("tool", "b"), ("assistant", None),
        ("user", None)]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "calculator", "arguments": '{"expression": "6*7"}'}
    assert sent[3]["tool_calls"][0]["function"]["arguments"] == "{bad"
    assert sent[2]["content"] == "42" and sent[4]["content"] == "Error: Not JSON." and sent[5]["content"] == "84"
    trimmed = build_request(store.history(next_reply.parent_id), None, 60, 10).messages
    assert trimmed[0]["role"] != "tool"


CALCULATE = "app.tools.calculator:run"


def test_a_tool_process_that_overruns_is_killed_and_the_next_call_gets_a_fresh_one(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-in-a-tool")
    processes = IsolatedCalls(size=1)
    try:
        assert processes.run(CALCULATE, [{"expression": "6*7"}, None], 10) == "42"
        [pid], [] = processes.pids()
        child = psutil.Process(pid)
        assert "app.platform.isolated" in child.cmdline()
        assert "OPENAI_API_KEY" not in child.environ()  # a tool's process gets a clean environment
        child.suspend()  # a computation that never ends, as far as the worker can tell
        with pytest.raises(IsolatedError, match="longer than 0.5 s and was stopped") as overran:
            processes.run(CALCULATE, [{"expression": "1+1"}, None], 0.5)
        assert overran.value.kind == "Timeout"
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
        assert processes.run(CALCULATE, [{"expression": "1+1"}, None], 10) == "2"
        [fresh], [] = processes.pids()
        assert fresh != pid
    finally:
        processes.close()
    assert processes.pids() == ([], [])


def test_a_tool_process_that_dies_mid_call_is_an_error_result_and_is_replaced():
    processes = IsolatedCalls(size=1)
    try:
        assert processes.run(CALCULATE, [{"expression": "2**10"}, None], 10) == "1024"
        [pid], [] = processes.pids()
        child = psutil.Process(pid)
        child.suspend()
        with ThreadPoolExecutor(1) as pool:
            call = pool.submit(processes.run, CALCULATE, [{"expression": "1+1"}, None], 30)
            deadline = time.monotonic() + 10
            while processes.pids() != ([], [pid]):  # the call has taken the child and waits for its answer
                assert time.monotonic() < deadline, "the call never took the child"
                time.sleep(0.01)
            child.kill()
            with pytest.raises(IsolatedError, match="ended before it answered") as died:
                call.result(timeout=30)
            assert died.value.kind == "Died"
        assert processes.run(CALCULATE, [{"expression": "1+1"}, None], 10) == "2"
    finally:
        processes.close()
