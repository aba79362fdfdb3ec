"""Cutting a streamed body into events (``app/llm/sse.py``); the SDK path itself is covered
against the demo server in ``test_llm_gateway.py``."""
from __future__ import annotations

from app.llm.sse import event_data, split_events


def test_complete_events_are_split_off_and_the_unfinished_rest_is_kept():
    blocks, rest = split_events(b'data: {"a": 1}\n\ndata: {"b": 2}\n\ndata: {"c"')
    assert blocks == [b'data: {"a": 1}', b'data: {"b": 2}']
    assert rest == b'data: {"c"'


def test_crlf_and_cr_line_ends_are_read_like_newlines():
    blocks, rest = split_events(b'data: {"a": 1}\r\n\r\ndata: {"b": 2}\r\rdata: {"c"')
    assert [event_data(b) for b in blocks] == [b'{"a": 1}', b'{"b": 2}']
    assert rest == b'data: {"c"'


def test_a_crlf_split_between_packets_is_one_line_end():
    blocks, rest = split_events(b'data: {"text":\r')
    assert blocks == []
    blocks, rest = split_events(rest + b'\ndata: "x"}\r\n\r\n')
    assert [event_data(b) for b in blocks] == [b'{"text":\n"x"}']


def test_data_lines_of_one_event_are_joined_and_other_fields_skipped():
    block = b'event: message\nid: 7\ndata: {"text":\ndata:"two lines"}\n: a comment'
    assert event_data(block) == b'{"text":\n"two lines"}'


def test_an_event_without_data_gives_nothing():
    assert event_data(b": keep-alive") is None
    assert event_data(b"event: ping") is None


def test_data_without_a_space_after_the_colon_is_read_whole():
    assert event_data(b"data:[DONE]") == b"[DONE]"
