"""Confab across hosts behind HAProxy (issue 34): members pinned to different hosts watch one
reply; a host dies mid-stream and its members carry on through the other. Each scenario
prints its figures."""
from __future__ import annotations

import json
import os
import time

import redis
import socketio

from tests.conftest import PASSWORD
from tests.support.stack import Member


def _pinned(cluster, email: str, host: str) -> Member:
    member = Member(cluster, email, PASSWORD, web_url=cluster.url)
    member.http.cookies.set("CONFAB_HOST", host)  # HAProxy's stickiness cookie for /socket.io/
    return member


def test_members_on_two_hosts_watch_one_reply_without_a_lost_word(cluster):
    ann, bob = _pinned(cluster, "ann@example.com", "app1"), _pinned(cluster, "bob@example.com", "app2")
    chat_id = ann.new_chat("Across hosts")
    ann_live, bob_live = ann.socket(), bob.socket()
    try:
        assert ann_live.join(chat_id)["ok"] and bob_live.join(chat_id)["ok"]
        reply_id = ann.say(chat_id, "Across hosts [[chunks:60]] [[slow:20]]")["assistant_message"]["id"]
        figures = {}
        for name, live in (("app1", ann_live), ("app2", bob_live)):
            done = live.wait_for("message.completed", reply_id, timeout=30)
            deltas = live.deltas(reply_id)
            assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
            assert "".join(d["text"] for d in deltas) == done["message"]["content"]
            figures[name] = len(deltas)
        logs = {host: (cluster.workdir / f"{host}-web.log").read_text() for host in ("app1", "app2")}
        assert f"user 1 joined chat {chat_id}" in logs["app1"] and f"user 2 joined chat {chat_id}" in logs["app2"]
        print(json.dumps({"scenario": "two_hosts_one_reply", "deltas_seen": figures, "lost": 0, "duplicated": 0}))
    finally:
        ann_live.close()
        bob_live.close()


def _rejoined(member: Member, chat_id: int, seen: list[dict]) -> tuple[object, str, int]:
    """A new socket for ``member`` through HAProxy (its host may be gone) joined to the chat, as
    the page does after a reconnect: the join's text so far and its seq replace what was seen."""
    deadline = time.monotonic() + 30
    while True:
        try:
            live = member.socket()
            break
        except (socketio.exceptions.ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    answer = live.join(chat_id)
    assert answer["ok"], answer
    [entry] = answer["unfinished"] or [None]
    if entry is None:
        return live, "".join(d["text"] for d in seen), len(seen)
    return live, entry["message"]["content"], entry["seq"]


def _host_of_chat(cluster, chat_id: int) -> str:
    """Which app host's worker took the chat's reply job: the worker's process, by its network namespace."""
    client = redis.Redis.from_url(f"redis://{cluster.address('data')}:6379/0")
    for key in client.scan_iter("rq:job:*"):
        job = client.hgetall(key)
        if job.get(b"description", b"").decode() == f"answer chat {chat_id}" and job.get(b"worker_name"):
            pid = int(client.hget(f"rq:worker:{job[b'worker_name'].decode()}", "pid"))
            inode = os.stat(f"/proc/{pid}/ns/net").st_ino
            return next(host for host in ("app1", "app2") if os.stat(f"/run/netns/{cluster.ns(host)}").st_ino == inode)
    raise LookupError(f"no started job for chat {chat_id}")


def test_a_host_killed_mid_stream_loses_no_word_and_the_other_host_carries_on(cluster):
    ann, bob = _pinned(cluster, "ann@example.com", "app1"), _pinned(cluster, "bob@example.com", "app2")
    chats = [ann.new_chat(f"Kill test {n}") for n in range(6)]
    ann_live, bob_live = ann.socket(), bob.socket()
    for chat_id in chats:
        assert ann_live.join(chat_id)["ok"] and bob_live.join(chat_id)["ok"]
    replies = {chat_id: ann.say(chat_id, "A long answer [[chunks:150]] [[slow:40]]")["assistant_message"]["id"]
               for chat_id in chats}
    for chat_id, reply_id in replies.items():
        bob_live.wait_for("message.delta", reply_id, timeout=20)
    hosts = {chat_id: _host_of_chat(cluster, chat_id) for chat_id in chats}
    assert set(hosts.values()) == {"app1", "app2"}, hosts  # six jobs, two idle pools: both took some
    killed_at = time.monotonic()
    cluster.kill_host("app1")
    rejoined = {chat_id: _rejoined(ann, chat_id, ann_live.deltas(replies[chat_id])) for chat_id in chats[:1]}
    live, text, seq = rejoined[chats[0]]
    reconnect_seconds = time.monotonic() - killed_at
    figures = {"replies": len(chats), "on_app1": sum(h == "app1" for h in hosts.values()),
               "reconnect_seconds": round(reconnect_seconds, 2)}
    outcomes = {}
    for chat_id, reply_id in replies.items():
        done = bob.finished(chat_id, reply_id, timeout=60)
        outcomes[chat_id] = done["status"]
        deltas = bob_live.deltas(reply_id)
        assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1)), "bob's host stayed: nothing lost"
        if hosts[chat_id] == "app2":
            assert done["status"] == "completed" and "".join(d["text"] for d in deltas) == done["content"]
        else:
            assert done["status"] == "interrupted" and done["content"].startswith("".join(d["text"] for d in deltas))
    after = [d for d in live.deltas(replies[chats[0]]) if d["seq"] > seq]
    final = bob.message(chats[0], replies[chats[0]])["content"]
    assert text + "".join(d["text"] for d in after) == final, "ann, moved to app2, neither lost nor repeated a word"
    answered = ann.say(chats[0], "Still there?")["assistant_message"]["id"]
    assert ann.finished(chats[0], answered, timeout=30)["status"] == "completed"
    figures.update(outcomes=sorted(outcomes.values()), seconds_to_settle=round(time.monotonic() - killed_at, 2))
    # The stated bound: the heartbeat's TTL (5 s here), the sweep's round (10 s), and a margin.
    assert figures["seconds_to_settle"] < 5 + 10 + 10, figures
    cluster.start_app("app1")  # the host comes back and takes its share again
    cluster.wait_until_serving()
    print(json.dumps({"scenario": "host_killed_mid_stream", **figures}))
    for socket_ in (ann_live, bob_live, live):
        socket_.close()


def _long_replies(member: Member, chats: list[int], content: str) -> dict[int, int]:
    return {chat_id: member.say(chat_id, content)["assistant_message"]["id"] for chat_id in chats}


def test_postgresql_down_for_five_seconds_mid_stream_loses_nothing(cluster):
    ann, bob = _pinned(cluster, "ann@example.com", "app2"), _pinned(cluster, "bob@example.com", "app2")
    chats = [ann.new_chat(f"Database restart {n}") for n in range(4)]
    bob_live = bob.socket()
    for chat_id in chats:
        assert bob_live.join(chat_id)["ok"]
    replies = _long_replies(ann, chats, "Keep talking [[chunks:200]] [[slow:40]]")
    for reply_id in replies.values():
        bob_live.wait_for("message.delta", reply_id, timeout=20)
    cluster.stop_postgres()
    down_at = time.monotonic()
    statuses = []
    while time.monotonic() - down_at < 5:
        page = bob.http.get(f"{cluster.url}/chats", timeout=10, allow_redirects=False)
        statuses.append(page.status_code)
        assert page.status_code in (200, 503), page.text[:300]  # a page to retry, never a 500
        time.sleep(0.5)
    cluster.start_postgres()
    back_at = time.monotonic()
    while bob.http.get(f"{cluster.url}/chats", timeout=10).status_code != 200:
        assert time.monotonic() - back_at < 20, "pages did not come back"
        time.sleep(0.2)
    recovered = time.monotonic() - back_at
    for chat_id, reply_id in replies.items():
        done = bob.finished(chat_id, reply_id, timeout=60)
        deltas = bob_live.deltas(reply_id)
        assert done["status"] == "completed", done
        assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
        assert "".join(d["text"] for d in deltas) == done["content"]
    print(json.dumps({"scenario": "postgresql_restart", "replies": len(replies), "completed": len(replies),
                      "page_statuses_while_down": sorted(set(statuses)), "seconds_pages_back": round(recovered, 2)}))
    bob_live.close()


def test_a_rolling_restart_leaves_no_reply_streaming_for_ever(cluster):
    ann = _pinned(cluster, "ann@example.com", "app1")
    chats = [ann.new_chat(f"Rolling {n}") for n in range(4)]
    replies = _long_replies(ann, chats, "A long one [[chunks:150]] [[slow:40]]")
    stop_seconds = {}
    for host in ("app1", "app2"):
        stop_seconds[host] = round(cluster.restart_app(host), 2)
        cluster.wait_until_serving()
    outcomes = [ann.finished(chat_id, reply_id, timeout=60) for chat_id, reply_id in replies.items()]
    assert all(o["status"] in ("completed", "interrupted") for o in outcomes), [o["status"] for o in outcomes]
    assert all(o["content"] for o in outcomes), "every reply kept its text"
    answered = ann.say(chats[0], "After the restart")["assistant_message"]["id"]
    assert ann.finished(chats[0], answered, timeout=30)["status"] == "completed"
    print(json.dumps({"scenario": "rolling_restart", "replies": len(outcomes),
                      "outcomes": sorted(o["status"] for o in outcomes), "seconds_to_stop": stop_seconds}))
