"""Streaming assistant replies (SPEC §4): the reply workflow a reply job runs.

One reply at a time per chat (a Redis lock); each reply is claimed, built from the
history, streamed through :mod:`app.llm`, handed chunk by chunk to the process's
relay (``app/engine/relay.py``) for the chat's room, written to the database with the
process's other drafts at most every 0.5 s (``app/engine/drafts.py``), and stored in
full at the end. No database connection
is held while waiting on the model. Many of these run at once in one worker process
(``app/engine/``): everything a reply needs lives in its own :class:`Reply`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import LockError

from app.conversations.posting import image_prompt
from app.engine import parts
from app.engine.chat_lock import ChatLock, chat_lock
from app.engine.drafts import Draft
from app.engine.relay import LiveReply, Relay
from app.engine.supervisor import WatchedStream
from app.extensions import db
from app.llm.clients import async_client_for
from app.llm.errors import LlmError
from app.llm.images import Picture, draw
from app.llm.streaming import ChatStream, ContentDelta, Finish, ReasoningDelta, ToolCalls, ToolCallStarted, Usage
from app.models import LlmModel
from app.models.chats import CANCELLED, COMPLETED, FAILED
from app.platform.redis_client import get_redis
from app.replies import store
from app.replies.context import build_request
from app.replies.finishing import Outcome, finish, finish_without_stream
from app.tools import offering
from app.tools.base import ToolContext
from app.tools.loop import ToolLoop, follow_up, loop_for_reply
from app.tools.mcp import status as mcp_status
from app.tools.mcp.config import McpConfigError
from app.tools.mcp.switches import configured

ENDED_EARLY = "The connection to the model ended before the answer was complete."
TOO_MANY_ROUNDS = ("The model kept calling tools: Confab stopped after {rounds} rounds without an answer. "
                   "The text and tool results so far are kept.")
JOB_STOPPED = "The answer took longer than Confab allows and was stopped. The text so far is kept."


@dataclass
class Reply:
    """Everything needed to stream one reply, captured before the DB session is released."""

    message_id: int
    chat_id: int
    model: LlmModel  # built from its row (``reply_store``): prices, capabilities, provider
    request: list[dict]
    report: dict
    client: object
    live: LiveReply
    draft: Draft
    tools: list[dict] | None = None
    tool_choice: offering.ToolChoice | None = None  # the tool groups on: listed when the stream starts
    tool_loop: ToolLoop | None = None
    deltas: int = 0
    usage: Usage | None = None
    finished: bool = False
    round: int = 1
    new_paragraph: bool = False  # the next text starts a new round's words
    calls: ToolCalls | None = None  # what the round's response ended by asking for
    image_prompt: str | None = None  # an image model's reply: what to draw
    picture: Picture | None = None


def answer_pending_messages(chat_id: int, log: logging.LoggerAdapter | logging.Logger) -> int:
    """Answer the chat's pending replies in order; return how many this call answered.

    If another process holds the chat's lock it answers them instead: it looks
    again for pending replies after releasing the lock, so none is left behind.
    That look also finds the next reply of a chat asked again meanwhile (rare): one
    reply per hold of the lock spares every reply a claim that would find nothing.
    """
    client = get_redis()
    answered = 0
    while True:
        lock = chat_lock(client, chat_id, current_app.config["STREAM_HEARTBEAT_TTL"])
        if not lock.acquire():
            log.info("chat %s is being answered elsewhere", chat_id)
            return answered
        try:
            if (claimed := store.claim_next(chat_id)) is not None:
                stream_reply(claimed, lock, log)
                answered += 1
        finally:
            try:
                lock.release()
            except LockError:
                log.warning("the lock of chat %s had expired before it was released", chat_id)
        if store.next_pending(chat_id) is None:
            return answered


def _start(claimed: store.Claimed) -> Reply | Outcome:
    """Read the claimed reply's history and build its request; the caller commits the claim."""
    message_id, model = claimed.message_id, claimed.model
    usable = model is not None and model.offered
    history = store.history(claimed.parent_id) if usable and model.kind != "image" else []
    if not usable:
        return Outcome(FAILED, "The model for this chat is no longer available. Choose another model and ask again.")
    try:
        client = async_client_for(model.provider)
    except LlmError as exc:
        return Outcome(FAILED, exc.message)
    reply = Reply(message_id=message_id, chat_id=claimed.chat_id, model=model, request=[], report={},
                  client=client, live=LiveReply(claimed.chat_id, message_id), draft=Draft(message_id))
    if model.kind == "image":
        reply.report, reply.image_prompt = {"image": True}, image_prompt(claimed.asked or "")
        return reply
    capabilities = frozenset(model.capabilities or [])
    built = build_request(history, claimed.instructions, model.context_window,
                          model.max_output_tokens, capabilities)
    reply.request, reply.report = built.messages, built.report
    reply.tool_choice = offering.choice_for(capabilities, claimed.tools_off, claimed.account_mcp_servers,
                                            _mcp_servers())
    if reply.tool_choice is not None:
        reply.tool_loop = loop_for_reply(message_id, claimed.chat_id,
                                         ToolContext(claimed.asker_id, claimed.chat_id, claimed.account_id),
                                         mcp_status.hub() if reply.tool_choice.servers else None)
    return reply


def _mcp_servers() -> dict:
    """The instance's MCP servers; none, and an error in the log, while the model file's entries are wrong."""
    try:
        return configured()
    except McpConfigError as exc:
        current_app.logger.error("MCP servers left out: %s", exc)
        return {}


def stream_reply(claimed: store.Claimed, lock: ChatLock, log: logging.LoggerAdapter | logging.Logger) -> None:
    message_id = claimed.message_id
    started = _start(claimed)
    if isinstance(started, Outcome):
        db.session.commit()
        db.session.remove()
        finish_without_stream(message_id, started)
        return
    reply = started
    supervisor, drafts = parts.supervisor(), parts.draft_writer()
    watched = supervisor.watch(message_id, lock)
    drafts.track(reply.draft)
    log.info("streaming reply %s in chat %s with %s", message_id, reply.chat_id, reply.model.id)
    config = current_app.config
    streaming = parts.stream_loop().submit(_stream_rounds(
        reply, watched, parts.relay(), log, config["LLM_RETRY_ATTEMPTS"], config["LLM_RETRY_BASE_SECONDS"],
        config["TOOL_MAX_ROUNDS"]))
    try:
        db.session.commit()  # the claim, while the request is on its way: the model takes longer to answer
    except BaseException:
        watched.cancel()  # not claimed after all: the reply stays pending, for the next job
        streaming.cancel()
        drafts.forget(reply.draft)
        supervisor.release(watched)
        raise
    finally:
        db.session.remove()
    outcome: Outcome | None = None
    try:
        while outcome is None:
            try:
                outcome = streaming.result(timeout=config["STREAM_FLUSH_SECONDS"])
            except TimeoutError:
                drafts.maybe_write()  # this thread waits anyway: it may write every reply's draft
    finally:
        if outcome is None:  # the job itself was stopped (RQ's time limit): stop its stream too
            watched.cancel()
            streaming.cancel()
        drafts.forget(reply.draft)
        supervisor.release(watched)
        parts.relay().flush()  # the room has every delta before it hears how the reply ended
        with parts.finishing():  # a few at a time: the stream loop reads every other reply meanwhile
            finish(reply, outcome or Outcome(FAILED, JOB_STOPPED))
    log.info("reply %s ended %s after %s chunks", message_id, outcome.status, reply.deltas)


async def _stream_rounds(reply: Reply, watched: WatchedStream, relay: Relay,
                         log: logging.LoggerAdapter | logging.Logger, attempts: int, base: float,
                         max_rounds: int) -> Outcome:
    """On the stream loop: stream the model's answer; while it ends by asking for tools, run
    them (``app/tools/loop.py``) and ask again with their results, up to ``max_rounds``. An
    image model's reply is drawn instead (``app/llm/images.py``)."""
    if reply.image_prompt is not None:
        return await _draw(reply, watched, log)
    if reply.tool_loop is not None:
        await _offer_tools(reply)
    request = reply.request
    for round_number in range(1, max_rounds + 1):
        reply.round, reply.calls, reply.finished = round_number, None, False
        reply.new_paragraph = round_number > 1  # a round's words never run into the last round's
        text_before = len(reply.draft.content)
        outcome = await _stream_with_retries(reply, request, watched, relay, log, attempts, base)
        if outcome.status != COMPLETED or reply.calls is None or reply.tool_loop is None:
            return outcome
        records = await reply.tool_loop.run_calls(round_number, reply.calls.calls, watched.cancelled)
        if watched.cancelled.is_set():
            return Outcome(CANCELLED)
        request = [*request, *follow_up("".join(reply.draft.content[text_before:]), records,
                                        vision="vision" in (reply.model.capabilities or []))]
    return Outcome(FAILED, TOO_MANY_ROUNDS.format(rounds=max_rounds))


async def _offer_tools(reply: Reply) -> None:
    """List the tools of the reply's chosen groups (MCP servers asked at once); a server that
    cannot answer is left out, and the reply's context report says why."""
    offer = await offering.offer(reply.tool_choice, reply.tool_loop.hub, current_app.config["MCP_LIST_WAIT_SECONDS"])
    reply.tool_loop.offer, reply.tools = offer, offer.as_openai()
    if offer.unavailable:
        reply.report["tools_unavailable"] = offer.unavailable


async def _stream_with_retries(reply: Reply, request: list[dict], watched: WatchedStream, relay: Relay,
                               log: logging.LoggerAdapter | logging.Logger, attempts: int, base: float) -> Outcome:
    """Read one model response into the reply, retrying a retryable failure with backoff, but
    only before the response's first delta."""
    deltas_before = reply.deltas
    for attempt in range(1, attempts + 1):
        stream = ChatStream(reply.client, reply.model.remote_id, request, tools=reply.tools, model_name=reply.model.name)
        watched.attach(stream)
        try:
            async for event in stream:
                _apply(reply, event, relay)
        except LlmError as exc:
            if watched.cancelled.is_set():
                return Outcome(CANCELLED)
            if exc.retryable and reply.deltas == deltas_before and attempt < attempts:
                delay = base * 2 ** (attempt - 1)
                log.warning("reply %s attempt %s failed (%s); retrying in %.1fs", reply.message_id, attempt, exc, delay)
                if await watched.sleep_unless_cancelled(delay):
                    return Outcome(CANCELLED)
                continue
            log.warning("reply %s failed: %s", reply.message_id, exc)
            return Outcome(FAILED, exc.message)
        finally:
            watched.attach(None)
        if watched.cancelled.is_set():
            return Outcome(CANCELLED)
        return Outcome(COMPLETED) if reply.finished else Outcome(FAILED, ENDED_EARLY)
    return Outcome(FAILED, ENDED_EARLY)


async def _draw(reply: Reply, watched: WatchedStream, log: logging.LoggerAdapter | logging.Logger) -> Outcome:
    try:
        reply.picture = await draw(reply.client, reply.model.remote_id, reply.image_prompt, watched.cancelled,
                                   model_name=reply.model.name)
    except LlmError as exc:
        log.warning("image reply %s failed: %s", reply.message_id, exc)
        return Outcome(FAILED, exc.message)
    return Outcome(CANCELLED) if reply.picture is None else Outcome(COMPLETED)


def _paragraph_break(content: list[str]) -> str:
    """What puts the next round's text in a paragraph of its own after ``content`` so far."""
    tail = next((chunk for chunk in reversed(content) if chunk), "")
    if not tail or tail.endswith("\n\n"):
        return ""
    return "\n" if tail.endswith("\n") else "\n\n"


def _apply(reply: Reply, event: object, relay: Relay) -> None:
    """One provider event: text goes to the reply's draft and to the relay."""
    kind = type(event)
    if kind is ContentDelta or kind is ReasoningDelta:
        text = event.text
        if kind is ContentDelta:
            if reply.new_paragraph and text:
                reply.new_paragraph = False
                text = _paragraph_break(reply.draft.content) + text
            reply.draft.content.append(text)
            relay.delta(reply.live, "content", text)
        else:
            reply.draft.reasoning.append(text)
            relay.delta(reply.live, "reasoning", text)
        reply.draft.chars += len(text)
        reply.deltas += 1
    elif kind is Usage:  # one per model call: a reply with tool rounds pays for each
        previous = reply.usage
        reply.usage = event if previous is None else Usage(
            previous.input_tokens + event.input_tokens, previous.cached_tokens + event.cached_tokens,
            previous.output_tokens + event.output_tokens, previous.reasoning_tokens + event.reasoning_tokens,
            # the provider's own figure only if it stated one for every round
            previous.cost + event.cost if previous.cost is not None and event.cost is not None else None)
    elif kind is ToolCallStarted:
        if reply.tool_loop is not None:
            reply.tool_loop.started(reply.round, event.id, event.name)
    elif kind is ToolCalls:
        reply.calls = event
    elif kind is Finish:
        reply.finished = True
