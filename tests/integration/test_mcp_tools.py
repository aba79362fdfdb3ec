"""Tools from MCP servers on the real stack (issue 33): real servers from the ``mcp`` package on
loopback (``tests/support/mcp_servers.py``), the tracker over streamable HTTP with a bearer
token and the notes over stdio, started by the worker; the demo LLM calls their tools by the
names Confab offers, and tells what each request offered (``/_demo/requests/<tag>``)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests

from app.demo_llm.script import STAMPS
from tests.support.stack import Member
from tests.support.summary import add_summary_line

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def team(stack):
    """Kim owns an account with the tracker and the notes switched on; Lee is a member of it.
    (The servers are off by default, so the other suites' accounts never see them.)"""
    stack.flask("users", "create", "--email", "kim@example.com", "--name", "Kim Park", "--password", PASSWORD)
    stack.flask("users", "create", "--email", "lee@example.com", "--name", "Lee Chen", "--password", PASSWORD)
    stack.flask("accounts", "add-member", "Kim Park's account", "lee@example.com")
    kim, lee = Member(stack, "kim@example.com", PASSWORD), Member(stack, "lee@example.com", PASSWORD)
    for server in ("tracker", "notes"):
        switch_server(kim, server, True)
    return kim, lee


def switch_server(owner: Member, server: str, on: bool) -> None:
    response = owner.post(f"/accounts/{owner.account_id()}/mcp-servers",
                          data={"server": server, "on": "1" if on else "0"})
    assert response.status_code == 200, response.text
    assert response.json() == {"server": server, "on": on}


def offered(stack, tag: str) -> list[list[str]]:
    """The tools' names each request tagged ``tag`` offered the demo LLM."""
    return requests.get(f"{stack.demo_url}/_demo/requests/{tag}", timeout=5).json()["tools_offered"]


def ask(member: Member, chat_id: int, text: str, timeout: float = 30) -> dict:
    reply_id = member.say(chat_id, text)["assistant_message"]["id"]
    return member.finished(chat_id, reply_id, timeout=timeout)


def tag() -> str:
    return uuid.uuid4().hex[:10]


def test_flask_mcp_list_asks_every_server_and_the_account_page_shows_what_it_saw(stack, team):
    kim, _ = team
    listed = subprocess.run([sys.executable, "-m", "flask", "mcp", "list"], env={**os.environ, **stack.env()},
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 1, listed.stderr  # the wiki's server is not running
    out = "\n" + listed.stdout
    assert f"tracker  Issue tracker  (streamable-http: http://127.0.0.1:{stack.tracker_port}/mcp; accounts: off by " \
           "default; timeout 3 s)" in out
    tracker, notes, wiki = out.split("\ntracker  ")[1], out.split("\nnotes  ")[1], out.split("\nwiki  ")[1]
    assert "  up: " in tracker and "    search_issues  Search the team's issues by words in their title." in tracker
    assert "environment" not in tracker.split("\nnotes  ")[0]  # not in the entry's allow-list
    assert "  up: 3 tools" in notes and "    find_notes  Find the team's notes on a subject." in notes
    assert "  down: Wiki cannot be reached: connection refused" in wiki
    page = kim.http.get(f"{kim.url}/accounts/{kim.account_id()}", timeout=10).text.split('id="tools"')[1]
    assert "connected · 3 tools" in page and "<code>find_notes</code>" in page and "cannot be reached" in page


def test_an_http_servers_tool_is_offered_called_stored_and_seen_live_by_two_members(stack, team, listeners):
    kim, lee = team
    chat_id = kim.new_chat("Bugs")
    watchers = [kim.socket(), lee.socket()]
    listeners.extend(watchers)
    for watcher in watchers:
        assert watcher.join(chat_id)["ok"]
    name = tag()
    reply_id = kim.say(chat_id, f'[[tag:{name}]] Closed login bugs? [[tool:tracker__search_issues '
                                '{"query": "login", "filters": {"state": "closed", "labels": ["auth"]}}]]')[
        "assistant_message"]["id"]
    done = watchers[1].wait_for("message.completed", reply_id, timeout=30)["message"]
    [call] = done["tool_calls"]
    assert (call["name"], call["server"], call["status"]) == ("tracker__search_issues", "Issue tracker", "ok")
    assert call["arguments"] == {"query": "login", "filters": {"state": "closed", "labels": ["auth"]}}
    assert call["result"].startswith("3 closed issues match “login”")  # the nested argument reached the server
    assert "The tool answered: 3 closed issues" in done["content"]  # and the model read the result
    for watcher in watchers:  # both members saw the call start, run and end, with its server's name
        calls = [d["call"] for n, d in watcher.events if n == "message.tool_call" and d["message_id"] == reply_id]
        assert calls[0]["status"] == "running" and calls[-1]["status"] == "ok"
        assert {c["server"] for c in calls} == {"Issue tracker"}
    stored = kim.message(chat_id, reply_id)["tool_calls"]
    assert stored == done["tool_calls"]
    [first, *_] = offered(stack, name)
    assert {"calculator", "current_time", "search_chats", "tracker__search_issues", "notes__find_notes"} <= set(first)
    assert "tracker__environment" not in first  # not in the entry's allow-list


def test_calls_to_two_servers_in_one_response_run_at_once(team, listeners):
    kim, _ = team
    chat_id = kim.new_chat()
    watcher = kim.socket()
    listeners.append(watcher)
    assert watcher.join(chat_id)["ok"]
    reply_id = kim.say(chat_id, 'Both [[tool:tracker__slow_report {"seconds": 1.5}]] '
                                '[[tool:notes__find_notes {"subject": "release"}]]')["assistant_message"]["id"]
    done = watcher.wait_for("message.completed", reply_id, timeout=30)["message"]
    slow, notes = done["tool_calls"]
    assert (slow["server"], slow["status"], slow["result"]) == ("Issue tracker", "ok", "report after 1.5 s")
    assert (notes["server"], notes["status"], notes["result"]) == ("Team notes", "ok", "Notes on release: ship on Friday")
    ended = [d["call"]["name"] for n, d in watcher.events if n == "message.tool_call" and d["message_id"] == reply_id
             and d["call"]["status"] != "running"]
    # Asked first, the slow call ended last: the notes did not wait for it.
    assert ended == ["notes__find_notes", "tracker__slow_report"]


def test_an_is_error_result_goes_back_to_the_model_and_the_reply_completes(team):
    kim, _ = team
    chat_id = kim.new_chat()
    done = ask(kim, chat_id, '[[tool:tracker__break_things {"reason": "on purpose"}]]')
    [call] = done["tool_calls"]
    assert call["status"] == "error" and "break_things" in call["result"]
    assert done["status"] == "completed" and "Error: Error executing tool break_things" in done["content"]


def test_a_hanging_server_times_out_while_another_chat_streams_on(stack, team, listeners):
    kim, lee = team
    other = lee.new_chat("Meanwhile")
    watcher = lee.socket()
    listeners.append(watcher)
    assert watcher.join(other)["ok"]

    def stream_added_ms() -> list[float]:
        """Lee's stream of 60 stamped chunks, 50 ms apart: how late each reached Lee's socket."""
        reply_id = lee.say(other, "[[stamp]] [[chunks:60]] [[slow:50]]")["assistant_message"]["id"]
        done = watcher.wait_for("message.completed", reply_id, timeout=40)["message"]
        deltas = [(at, d) for at, (n, d) in zip(watcher.wall_times, watcher.events)
                  if n == "message.delta" and d["message_id"] == reply_id and d["channel"] == "content"]
        assert [d["seq"] for _, d in deltas] == list(range(1, len(deltas) + 1))  # none lost or repeated
        assert "".join(d["text"] for _, d in deltas) == done["content"]
        return [(at - float(sent)) * 1000 for at, d in deltas for sent in STAMPS.findall(d["text"])]

    def p99(values: list[float]) -> float:
        return sorted(values)[max(0, int(len(values) * 0.99) - 1)]

    alone = stream_added_ms()
    chat_id = kim.new_chat()
    hanging = kim.say(chat_id, '[[tool:tracker__slow_report {"seconds": 60}]]')["assistant_message"]["id"]
    beside = stream_added_ms()
    done = kim.finished(chat_id, hanging, timeout=30)
    [call] = done["tool_calls"]
    assert call["status"] == "error" and call["result"] == "The tool took longer than 3 s and was stopped."
    assert done["status"] == "completed"
    add_summary_line(f"MCP: a stream beside a hanging tool call: added p99 {p99(beside):.0f} ms "
                     f"(alone {p99(alone):.0f} ms), {len(beside)} chunks")


def test_a_server_down_at_first_is_left_out_and_used_once_it_is_back(stack, team):
    kim, _ = team
    switch_server(kim, "wiki", True)
    chat_id = kim.new_chat()
    try:
        down = ask(kim, chat_id, '[[tool:wiki__search_issues {"query": "onboarding"}]]')
        assert down["context"]["tools_unavailable"]["Wiki"].startswith("Wiki cannot be reached: connection refused")
        [call] = down["tool_calls"]
        assert call["status"] == "error" and call["result"].startswith("There is no tool named “wiki__search_issues”")
        assert down["status"] == "completed"
        wiki = stack.start_wiki()
        deadline = time.monotonic() + 20  # the next try comes within the stack's 2 s backoff cap
        while True:
            back = ask(kim, chat_id, '[[tool:wiki__search_issues {"query": "onboarding"}]]')
            if back["tool_calls"][0]["status"] == "ok":
                break
            assert time.monotonic() < deadline, f"the wiki was never used again: {back['tool_calls']}"
            time.sleep(0.5)
        assert back["tool_calls"][0]["server"] == "Wiki" and "tools_unavailable" not in back["context"]
    finally:
        switch_server(kim, "wiki", False)
    wiki.terminate()


def test_a_tool_removed_after_it_was_listed_is_an_error_the_model_reads(team):
    kim, _ = team
    chat_id = kim.new_chat()
    listed = ask(kim, chat_id, '[[tool:tracker__archive_issue {"number": 7}]]')
    assert listed["tool_calls"][0]["result"] == "#7 archived"
    retired = ask(kim, chat_id, '[[tool:tracker__retire_tool {"name": "archive_issue"}]]')
    assert retired["tool_calls"][0]["result"] == "archive_issue retired"
    gone = ask(kim, chat_id, '[[tool:tracker__archive_issue {"number": 8}]]')  # still in Confab's list
    [call] = gone["tool_calls"]
    assert call["status"] == "error" and "archive_issue" in call["result"]
    assert gone["status"] == "completed"


def test_a_server_the_account_switched_off_is_never_offered_and_a_chat_can_turn_one_off(stack, team, listeners):
    kim, lee = team
    chat_id = kim.new_chat()
    watcher = kim.socket()
    listeners.append(watcher)
    assert watcher.join(chat_id)["ok"]
    switch_server(kim, "tracker", False)
    try:
        name = tag()
        ask(kim, chat_id, f"[[tag:{name}]] Anything [[tool:tracker__search_issues {{\"query\": \"x\"}}]]")
        [first, *_] = offered(stack, name)
        assert not [tool for tool in first if tool.startswith("tracker__")]
        assert "notes__find_notes" in first and "calculator" in first
        turned = lee.post(f"/chats/{chat_id}/tools", data={"group": "notes", "on": "0"})
        assert turned.status_code == 200 and turned.json()["tools_off"] == ["notes"]
        heard = watcher.wait_for_chat("chat.tools", chat_id)
        assert heard["tools_off"] == ["notes"] and heard["by"]["name"] == "Lee Chen"
        turned = lee.post(f"/chats/{chat_id}/tools", data={"group": "builtin", "on": "0"})
        assert turned.json()["tools_off"] == ["notes", "builtin"]
        name = tag()
        done = ask(kim, chat_id, f"[[tag:{name}]] Now [[tool:calculator {{\"expression\": \"1+1\"}}]]")
        assert offered(stack, name) == [[]]  # no tool group left: no tools sent at all
        assert done["tool_calls"] == [] and done["status"] == "completed"
        refused = lee.post(f"/chats/{chat_id}/tools", data={"group": "tracker", "on": "1"})
        assert refused.status_code == 422  # off for the account: not the chat's to switch on
    finally:
        switch_server(kim, "tracker", True)


def test_a_stdio_server_gets_only_its_named_variables_and_is_restarted_when_it_dies(team):
    kim, _ = team
    chat_id = kim.new_chat()
    seen = ask(kim, chat_id, "[[tool:notes__environment {}]]")["tool_calls"][0]["result"].split(", ")
    assert "NOTES_TOKEN" in seen and "PATH" in seen
    assert not {"TRACKER_TOKEN", "DATABASE_URL", "REDIS_URL", "CONFAB_MODELS_FILE", "RQ_QUEUE"} & set(seen)
    pid = int(ask(kim, chat_id, "[[tool:notes__process_id {}]]")["tool_calls"][0]["result"])
    os.kill(pid, signal.SIGKILL)
    again = ask(kim, chat_id, '[[tool:notes__find_notes {"subject": "restarts"}]]')["tool_calls"][0]
    assert (again["status"], again["result"]) == ("ok", "Notes on restarts: ship on Friday")
    assert int(ask(kim, chat_id, "[[tool:notes__process_id {}]]")["tool_calls"][0]["result"]) != pid


def test_a_picture_result_is_stored_on_the_reply_and_shown_to_a_vision_model(stack, team):
    kim, _ = team
    chat_id = kim.new_chat()
    name = tag()
    done = ask(kim, chat_id, f"[[tag:{name}]] Chart it [[tool:tracker__issue_chart {{}}]]")
    [call] = done["tool_calls"]
    assert call["status"] == "ok" and call["result"].startswith("Open issues by week\n[picture 1: image/png")
    [picture] = done["attachments"]
    assert picture["content_type"] == "image/png" and picture["filename"].startswith("tracker__issue_chart-1-1")
    assert kim.http.get(f"{kim.url}{picture['url']}", timeout=10).content.startswith(b"\x89PNG")
    assert requests.get(f"{stack.demo_url}/_demo/requests/{name}", timeout=5).json()["tool_pictures"] == 1


def test_a_long_result_is_cut_at_the_servers_limit_with_a_note(team):
    kim, _ = team
    chat_id = kim.new_chat()
    [call] = ask(kim, chat_id, '[[tool:tracker__long_report {"characters": 5000}]]')["tool_calls"]
    assert call["result"] == "x" * 2000 + "\n[result cut at 2,000 of 5,000 characters]"
