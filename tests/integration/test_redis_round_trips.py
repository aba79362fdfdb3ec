"""A post on the stack's own Redis (and database): its ``message.created`` events and its reply's
job leave in one round trip, the events first, so the room hears of a reply before its deltas."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest
import redis
import sqlalchemy as sa
from rq import Queue

from app import create_app
from app.config import TestConfig
from app.conversations import actions
from app.extensions import db
from app.models import User
from app.realtime.bus import BUS_CHANNEL

QUEUE = "confab-round-trips"  # no worker of the stack takes this queue's jobs


@pytest.fixture
def app_on_the_stack(stack):
    """An app publishing on the stack's event bus (as every process but the tests' does), its jobs
    on a queue of its own."""
    class OnTheStack(TestConfig):
        SQLALCHEMY_DATABASE_URI = stack.database_url.replace("postgresql://", "postgresql+psycopg2://")
        REDIS_URL = stack.redis_url
        RQ_QUEUE = QUEUE

    app = create_app(OnTheStack, role="worker")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    Queue(QUEUE, connection=redis.Redis.from_url(stack.redis_url)).empty()


@contextmanager
def recorded_round_trips():
    """Every request sent to Redis inside the block (over TCP or a unix socket): the names of its
    commands, in order."""
    sent: list[list[str]] = []
    pending: list[list[str]] = []
    connection, pipeline = redis.connection.AbstractConnection, redis.client.Pipeline
    original_send, original_execute = connection.send_packed_command, pipeline.execute

    def execute(self, *args, **kwargs):
        pending.append([str(command[0][0]).upper() for command in self.command_stack])
        return original_execute(self, *args, **kwargs)

    def send(self, command, *args, **kwargs):
        sent.append(pending.pop() if pending else ["(one command)"])
        return original_send(self, command, *args, **kwargs)

    connection.send_packed_command, pipeline.execute = send, execute
    try:
        yield sent
    finally:
        connection.send_packed_command, pipeline.execute = original_send, original_execute


def test_a_post_announces_its_messages_and_queues_its_reply_in_one_round_trip(app_on_the_stack, stack, ann,
                                                                              chat_id):
    bus = redis.Redis.from_url(stack.redis_url).pubsub(ignore_subscribe_messages=True)
    bus.subscribe(BUS_CHANNEL)
    user = db.session.execute(sa.select(User).where(User.email == ann.email)).scalar_one()
    actions.post(user, chat_id, "The first post opens the pooled connections")

    with recorded_round_trips() as round_trips:
        question, reply = actions.post(user, chat_id, "One trip, please")

    assert len(round_trips) == 1
    commands = round_trips[0]
    assert commands[0] == "EVAL", commands  # the events, ahead of the job
    assert "RPUSH" in commands[1:], commands
    jobs = Queue(QUEUE, connection=redis.Redis.from_url(stack.redis_url)).jobs
    assert [job.description for job in jobs] == [f"answer chat {chat_id}"] * 2
    created = []
    deadline = time.monotonic() + 10
    while reply["id"] not in created and time.monotonic() < deadline:
        if (message := bus.get_message(timeout=1)) is not None:
            created += [event[2]["message_id"] for event in json.loads(message["data"])
                        if event[0] == "message.created" and event[1] == chat_id]
    assert created[-2:] == [question["id"], reply["id"]]
    bus.close()
