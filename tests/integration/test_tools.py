"""The tool loop on the real stack (issue 9): calls stream in, run on the worker, are stored
and shown, errors go back to the model, rounds are capped, and cost adds up."""
from __future__ import annotations

import time


def test_a_calculator_round_trip_streams_each_call_to_the_room(ann, bob, chat_id, listeners):
    watcher = bob.socket()
    listeners.append(watcher)
    assert watcher.join(chat_id)["ok"]
    reply_id = ann.say(chat_id, 'What is 6 times 7? [[tool:calculator {"expression": "6*7"}]]')["assistant_message"]["id"]
    done = watcher.wait_for("message.completed", reply_id)["message"]
    assert "The tool answered: 42." in done["content"]
    [call] = done["tool_calls"]
    assert (call["name"], call["arguments"], call["status"], call["result"], call["round"]) == (
        "calculator", {"expression": "6*7"}, "ok", "42", 1)
    assert call["id"].startswith("call_") and call["duration_ms"] is not None
    events = [d["call"] for n, d in watcher.events if n == "message.tool_call" and d["message_id"] == reply_id]
    assert events[0]["status"] == "running" and events[0]["arguments"] is None  # named, arguments still coming
    assert events[-1]["status"] == "ok" and events[-1]["result"] == "42"
    assert done["context"]["tool_rounds"] == 2
    assert done["input_tokens"] > 0 and done["cost"] > 0


def test_parallel_calls_run_together_and_errors_go_back_to_the_model(ann, chat_id):
    reply_id = ann.say(chat_id, "Several [[tool:calculator {\"expression\": \"2**10\"}]] "
                                "[[tool:current_time {\"timezone\": \"Europe/Paris\"}]] "
                                "[[tool:calculator {\"expression\": \"1/0\"}]] [[tool:teleport {}]] "
                                "[[tool:calculator {not json}]] [[tool:current_time {\"timezone\": 5}]]")["assistant_message"]["id"]
    done = ann.finished(chat_id, reply_id)
    assert done["status"] == "completed"
    calls = done["tool_calls"]
    assert [c["name"] for c in calls] == ["calculator", "current_time", "calculator", "teleport", "calculator",
                                          "current_time"]
    assert {c["round"] for c in calls} == {1}
    assert calls[0]["result"] == "1024" and "Europe/Paris" in calls[1]["result"]
    assert [c["status"] for c in calls] == ["ok", "ok", "error", "error", "error", "error"]
    assert calls[2]["result"] == "Division by zero."
    assert calls[3]["result"].startswith("There is no tool named “teleport”.")
    assert calls[4]["result"].startswith("The arguments are not valid JSON") and calls[4]["arguments"] == "{not json}"
    assert calls[5]["result"].startswith("Invalid arguments for current_time: timezone:")
    assert "Error: There is no tool named “teleport”" in done["content"]  # the model was sent the errors


def test_a_model_that_never_stops_calling_tools_is_stopped_at_the_cap(ann, chat_id):
    reply_id = ann.say(chat_id, 'Loop [[toolloop]] [[tool:calculator {"expression": "1+1"}]]')["assistant_message"]["id"]
    done = ann.finished(chat_id, reply_id, timeout=40)
    assert done["status"] == "failed"
    assert done["error"].startswith("The model kept calling tools: Confab stopped after 10 rounds")
    assert [c["round"] for c in done["tool_calls"]] == list(range(1, 11))
    assert done["input_tokens"] > 10 * 20  # every round was paid for


def test_search_chats_finds_a_phrase_in_the_members_other_chat_and_nothing_of_another_account(ann, eve, chat_id):
    elsewhere = ann.new_chat("Launch notes")
    ann.finished(elsewhere, ann.say(elsewhere, "Remember the codeword zebrafish")["assistant_message"]["id"])
    eve_chat = eve.new_chat("Eve's secrets")
    eve.finished(eve_chat, eve.say(eve_chat, "zebrafish is Eve's too")["assistant_message"]["id"])
    reply_id = ann.say(chat_id, 'Find it [[tool:search_chats {"query": "codeword zebrafish"}]]')["assistant_message"]["id"]
    done = ann.finished(chat_id, reply_id)
    [search] = done["tool_calls"]
    assert search["status"] == "ok" and "“Launch notes”" in search["result"] and "«zebrafish»" in search["result"]
    assert "Eve" not in search["result"]
    assert done["status"] == "completed" and "Launch notes" in done["content"]  # the model read the result


def test_cancel_stops_the_tool_loop_between_rounds(ann, chat_id, listeners):
    watcher = ann.socket()
    listeners.append(watcher)
    assert watcher.join(chat_id)["ok"]
    reply_id = ann.say(chat_id, 'Forever [[toolloop]] [[slow:60]] [[tool:calculator {"expression": "2+2"}]]')[
        "assistant_message"]["id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rounds = {d["call"]["round"] for n, d in list(watcher.events) if n == "message.tool_call"
                  and d["message_id"] == reply_id and d["call"]["status"] == "ok"}
        if len(rounds) >= 2:
            break
        time.sleep(0.05)
    assert ann.post(f"/chats/{chat_id}/messages/{reply_id}/cancel").status_code == 202
    done = watcher.wait_for("message.cancelled", reply_id)["message"]
    assert done["status"] == "cancelled"
    assert 2 <= max(c["round"] for c in done["tool_calls"]) < 10


def test_words_before_a_tool_call_and_the_answer_after_it_are_separate_paragraphs(ann, chat_id, listeners):
    watcher = ann.socket()
    listeners.append(watcher)
    assert watcher.join(chat_id)["ok"]
    prompt = 'Roll it [[preamble:Let me roll the dice for you!]] [[tool:calculator {"expression": "2+3"}]]'
    reply_id = ann.say(chat_id, prompt)["assistant_message"]["id"]
    done = watcher.wait_for("message.completed", reply_id)["message"]
    first, _, rest = done["content"].partition("\n\n")
    assert first == "Let me roll the dice for you!" and rest.startswith("You said")
    assert done["html"].startswith("<p>Let me roll the dice for you!</p>\n<p>You said")
    assert "".join(d["text"] for d in watcher.deltas(reply_id)) == done["content"]  # live viewers got it too
    exported = ann.http.get(f"{ann.url}/chats/{chat_id}/export?format=md", timeout=10).text
    assert "Let me roll the dice for you!\n\nYou said" in exported
