"""MCP tools without servers (issue 33): entries read from the model file, names a provider
accepts, schemas passed on, results turned into what the model reads, and the switches of
accounts and chats. The servers themselves are proven in tests/integration/test_mcp_tools.py."""
from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from mcp.types import (AudioContent, BlobResourceContents, CallToolResult, EmbeddedResource, ImageContent,
                       ResourceLink, TextContent, TextResourceContents)

from app.tools.mcp import naming, results, schemas
from app.tools.mcp.config import McpConfigError, McpServer, load
from app.tools.mcp.switches import account_has_on, servers_on
from app.tools.offering import choice_for
from tests.support.mcp_servers import tiny_png

PROVIDER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


# -- names ------------------------------------------------------------------------------------

def test_a_tool_is_named_for_its_server_within_the_providers_rule():
    assert naming.exposed_name("tracker", "search_issues") == "tracker__search_issues"
    assert naming.exposed_name("wiki", "pages.get/by id") == "wiki__pages_get_by_id"
    assert naming.exposed_name("wiki", "") == "wiki___"
    assert naming.exposed_name("wiki", "ページ検索") == "wiki__" + "_" * 5


def test_a_long_name_keeps_its_start_and_two_long_names_stay_apart():
    first = naming.exposed_name("tracker", "a" * 80 + "one")
    second = naming.exposed_name("tracker", "a" * 80 + "two")
    assert PROVIDER_NAME.match(first) and PROVIDER_NAME.match(second)
    assert len(first) == 64 and first.startswith("tracker__aaaa") and first != second


def test_names_that_would_clash_are_numbered_and_never_take_a_built_ins_name():
    named = naming.unique_names([("wiki", "find.page"), ("wiki", "find_page"), ("calc", "x")],
                                taken={"wiki__find_page_2"})
    assert list(named) == ["wiki__find_page", "wiki__find_page_3", "calc__x"]
    assert named["wiki__find_page_3"] == ("wiki", "find_page")
    assert all(PROVIDER_NAME.match(name) for name in named)


# -- schemas ----------------------------------------------------------------------------------

def test_a_nested_schema_with_enums_is_passed_on_as_the_server_wrote_it():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"filters": {"$ref": "#/$defs/Filters"}, "state": {"enum": ["open", "closed"]}},
              "required": ["state"], "$defs": {"Filters": {"type": "object", "properties": {
                  "labels": {"type": "array", "items": {"type": "string"}}}}}}
    passed = schemas.parameters(schema)
    assert passed == {key: value for key, value in schema.items() if key != "$schema"}
    assert "$schema" in schema  # the server's own listing is not changed


def test_a_tool_without_parameters_gets_an_empty_object():
    assert schemas.parameters({"type": "object"}) == {"type": "object", "properties": {}}
    assert schemas.parameters({}) == {"type": "object", "properties": {}}


def test_a_schema_that_is_no_object_is_replaced_so_the_request_stays_valid():
    assert schemas.parameters({"type": "string"}) == {"type": "object", "properties": {}}
    assert schemas.parameters(["not", "a", "schema"]) == {"type": "object", "properties": {}}
    assert schemas.parameters({"type": "object", "properties": "junk"})["properties"] == {}


# -- results ----------------------------------------------------------------------------------

def test_text_blocks_resources_and_links_become_one_text():
    result = CallToolResult(content=[
        TextContent(type="text", text="Found 2"),
        EmbeddedResource(type="resource", resource=TextResourceContents(uri="file:///a.md", text="# A")),
        EmbeddedResource(type="resource", resource=BlobResourceContents(uri="file:///b.zip", blob="UEsDBA==",
                                                                        mime_type="application/zip")),
        ResourceLink(type="resource_link", name="Issue 7", uri="https://tracker.example/7"),
        AudioContent(type="audio", data="AAAA", mime_type="audio/wav"),
    ])
    converted = results.convert(result, 10_000)
    assert converted.text.splitlines() == [
        "Found 2", "# A", "[file file:///b.zip (application/zip) left out]", "[link: Issue 7 <https://tracker.example/7>]",
        "[audio (audio/wav) left out: Confab does not pass sound on]"]
    assert not converted.is_error and converted.pictures == []


def test_an_is_error_result_and_structured_content_without_text():
    failed = results.convert(CallToolResult(content=[TextContent(type="text", text="no access")], is_error=True), 100)
    assert (failed.text, failed.is_error) == ("no access", True)
    structured = results.convert(CallToolResult(content=[], structured_content={"count": 2, "ids": [1, 2]}), 100)
    assert structured.text == '{"count": 2, "ids": [1, 2]}'


def test_pictures_are_kept_apart_and_bad_ones_are_left_out_with_a_note():
    png = tiny_png()
    result = CallToolResult(content=[
        ImageContent(type="image", data=base64.b64encode(png).decode(), mime_type="image/png"),
        ImageContent(type="image", data="not base64!", mime_type="image/png"),
        ImageContent(type="image", data=base64.b64encode(b"<svg/>").decode(), mime_type="image/svg+xml"),
    ])
    converted = results.convert(result, 10_000)
    assert [p.data for p in converted.pictures] == [png]
    assert converted.text.splitlines() == [
        f"[picture 1: image/png, {len(png)} bytes]", "[picture left out: its data is not base64]",
        "[picture (image/svg+xml) left out: not a PNG, JPEG, GIF or WebP]"]


def test_a_long_result_is_cut_with_a_note_and_a_short_one_is_not():
    assert results.clip("x" * 100, 100) == "x" * 100
    assert results.clip("x" * 12_345, 100) == "x" * 100 + "\n[result cut at 100 of 12,345 characters]"


# -- the model file ---------------------------------------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.yml"
    path.write_text(text)
    return path


def test_entries_are_read_inline_or_from_a_file_the_model_file_names(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_TOKEN", "s3cret")
    (tmp_path / "mcp.yml").write_text("""
tracker:
  name: Issue tracker
  transport: streamable-http
  url: https://tracker.example/mcp
  api_key_env: TRACKER_TOKEN
  headers: {X-Team: core}
  headers_env: {X-Missing: NOT_SET_ANYWHERE}
  tools: [search_issues]
notes:
  transport: stdio
  command: notes-mcp
  args: [--root, /srv/notes]
  env: [NOTES_TOKEN]
  default: off
""")
    servers = load(_write(tmp_path, "models: {}\nmcp_servers_file: mcp.yml\n"))
    tracker, notes = servers["tracker"], servers["notes"]
    assert tracker.request_headers() == {"X-Team": "core", "Authorization": "Bearer s3cret"}
    assert tracker.unset == ("NOT_SET_ANYWHERE",) and tracker.allows("search_issues") and not tracker.allows("delete")
    assert (notes.name, notes.command, notes.args, notes.on_by_default) == ("notes", "notes-mcp", ("--root", "/srv/notes"),
                                                                           False)
    inline = load(_write(tmp_path, "mcp_servers:\n  notes: {transport: stdio, command: notes-mcp}\n"))
    assert inline["notes"].on_by_default is True


def test_a_stdio_server_is_given_only_the_variables_its_entry_names(monkeypatch):
    monkeypatch.setenv("NOTES_TOKEN", "n")
    monkeypatch.setenv("SECRET_KEY", "never")
    server = McpServer(key="notes", name="Notes", transport="stdio", command="x", env=("NOTES_TOKEN", "UNSET_ONE"))
    assert server.child_environment() == {"NOTES_TOKEN": "n"}


@pytest.mark.parametrize(("entry", "problem"), [
    ("Tracker: {transport: stdio, command: x}", "MCP server key 'Tracker' must be lower-case"),
    ("builtin: {transport: stdio, command: x}", "the key 'builtin' is Confab's own tools"),
    ("t: {transport: sse, url: 'http://x'}", "transport must be one of streamable-http, stdio"),
    ("t: {transport: streamable-http, url: 'ftp://x'}", "needs an http(s) url"),
    ("t: {transport: stdio}", "a stdio server needs a command"),
    ("t: {transport: stdio, command: x, env: ['A=b']}", "env lists variable names, not values"),
    ("t: {transport: stdio, command: x, timeout_seconds: 0}", "timeout_seconds must be a number from 0.1 to 600"),
    ("t: {transport: stdio, command: x, api_key: 'sk-live'}", "unknown setting 'api_key'"),
    ("t: {transport: stdio, command: x, default: maybe}", "default must be on or off"),
    ("t: {transport: stdio, command: x, tools: search}", "tools must be a list of text"),
])
def test_a_wrong_entry_is_refused_naming_the_file_and_the_problem(tmp_path, entry, problem):
    path = _write(tmp_path, "mcp_servers:\n  " + entry + "\n")
    with pytest.raises(McpConfigError) as refused:
        load(path)
    assert str(refused.value).startswith(str(path)) and problem in str(refused.value)


# -- switches ---------------------------------------------------------------------------------

def _server(key: str, on_by_default: bool = True) -> McpServer:
    return McpServer(key=key, name=key.title(), transport="stdio", command="x", on_by_default=on_by_default)


def test_an_account_follows_each_entrys_default_until_its_owners_choose():
    tracker, notes = _server("tracker"), _server("notes", on_by_default=False)
    assert account_has_on(None, tracker) and not account_has_on(None, notes)
    assert not account_has_on({"tracker": False}, tracker) and account_has_on({"notes": True}, notes)
    assert account_has_on({"tracker": "junk"}, tracker)  # only a true or false is a choice


def test_a_chat_uses_the_servers_on_for_its_account_and_not_off_in_the_chat():
    servers = {"tracker": _server("tracker"), "notes": _server("notes"), "wiki": _server("wiki", False)}
    chosen = servers_on({"notes": True}, ["notes"], servers)
    assert [s.key for s in chosen] == ["tracker"]


def test_a_model_without_tools_gets_none_and_a_chat_with_every_group_off_gets_none():
    servers = {"tracker": _server("tracker")}
    assert choice_for(frozenset({"vision"}), None, None, servers) is None
    assert choice_for(frozenset({"tools"}), ["builtin", "tracker"], None, servers) is None
    choice = choice_for(frozenset({"tools"}), ["builtin"], None, servers)
    assert choice.builtin is False and [s.key for s in choice.servers] == ["tracker"]
