"""Who switches which tools (issue 33): account owners switch each MCP server of the model file
on or off for their account, members switch a tool group off for one chat, and the pages show
each server's state and tools as the workers last saw them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import TestConfig
from app.extensions import db
from app.models import Account, Chat
from app.platform.redis_client import get_redis
from app.tools.mcp.status import STATUS_KEY
from tests.support.chats import empty_chat

JSON = {"X-Requested-With": "fetch", "Accept": "application/json"}
ENTRIES = """
mcp_servers:
  tracker: {name: Issue tracker, transport: streamable-http, url: "http://127.0.0.1:9/mcp"}
  notes: {name: Team notes, transport: stdio, command: notes-mcp, default: off}
"""


@pytest.fixture
def models_file(tmp_path) -> Path:
    path = tmp_path / "models.yml"
    path.write_text((Path(TestConfig.MODELS_FILE)).read_text() + ENTRIES)
    return path


@pytest.fixture
def app_config(models_file):
    return type("WithMcpServers", (TestConfig,), {"MODELS_FILE": str(models_file)})


def _account() -> Account:
    db.session.expire_all()
    return db.session.execute(sa.select(Account)).scalar_one()


def _seen(key: str, **status) -> None:
    get_redis().hset(STATUS_KEY, key, json.dumps(status))


def test_the_account_page_lists_each_server_with_its_state_and_tools(client, auth):
    auth.signup("Bob Stone", "bob@example.com")
    _seen("tracker", state="up", error=None, tools=[{"name": "search_issues", "description": "Find issues"},
                                                    {"name": "get_issue", "description": "One issue"}])
    _seen("notes", state="down", error="Team notes cannot be reached: no such command (notes-mcp)", tools=[])
    page = client.get(f"/accounts/{_account().id}").data.decode()
    section = page.split('id="tools"')[1].split("</section>")[0]
    assert "Issue tracker" in section and "connected · 2 tools" in section
    assert "<code>search_issues</code> — Find issues" in section
    assert "Team notes cannot be reached: no such command (notes-mcp)" in section
    assert section.count(">On<") == 1 and section.count(">Off<") == 1  # the notes are off by default
    assert "127.0.0.1:9" not in page  # where a server is stays with whoever runs the instance


def test_an_owner_switches_a_server_and_a_member_may_not(client, auth, app):
    auth.signup("Bob Stone", "bob@example.com")
    account = _account()
    switched = client.post(f"/accounts/{account.id}/mcp-servers", data={"server": "notes", "on": "1"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("#tools")
    assert _account().mcp_servers == {"notes": True}
    assert client.post(f"/accounts/{account.id}/mcp-servers", data={"server": "tracker", "on": "0"},
                       headers=JSON).get_json() == {"server": "tracker", "on": False}
    assert _account().mcp_servers == {"notes": True, "tracker": False}
    unknown = client.post(f"/accounts/{account.id}/mcp-servers", data={"server": "wiki", "on": "1"}, headers=JSON)
    assert unknown.status_code == 422 and unknown.get_json()["error"]["message"] == "There is no MCP server “wiki”."
    auth.logout()
    auth.signup("Ann Lee", "ann@example.com")
    _account_of_bob = account.id
    assert client.post(f"/accounts/{_account_of_bob}/mcp-servers", data={"server": "notes", "on": "0"}).status_code == 404


def test_a_chat_shows_its_tool_groups_and_a_member_turns_one_off(client, auth):
    auth.signup("Bob Stone", "bob@example.com")
    chat = empty_chat(client)
    page = client.get(f"/chats/{chat.id}").data.decode()
    drawer = page.split('id="tools-drawer"')[1].split("</dialog>")[0]
    assert "Confab&#39;s tools" in drawer and "Issue tracker" in drawer
    assert "Team notes" not in drawer  # off for the account: not the chat's to offer
    assert 'id="tools-chip-count">2<' in page
    turned = client.post(f"/chats/{chat.id}/tools", data={"group": "tracker", "on": "0"}, headers=JSON)
    assert turned.get_json() == {"chat_id": chat.id, "tools_off": ["tracker"]}
    db.session.expire_all()
    assert db.session.get(Chat, chat.id).tools_off == ["tracker"]
    page = client.get(f"/chats/{chat.id}").data.decode()
    assert 'id="tools-chip-count">1<' in page and 'name="tracker" value="1">' in page  # unchecked
    refused = client.post(f"/chats/{chat.id}/tools", data={"group": "notes", "on": "1"}, headers=JSON)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "There is no tool group “notes” in this account."
    assert client.post(f"/chats/{chat.id}/tools", data={"group": "tracker", "on": "1"},
                       headers=JSON).get_json()["tools_off"] == []


def test_a_broken_model_file_is_named_on_the_account_page_and_chats_keep_confabs_tools(client, auth, models_file):
    auth.signup("Bob Stone", "bob@example.com")
    chat = empty_chat(client)
    models_file.write_text(models_file.read_text() + "\n  wiki: {transport: carrier-pigeon}\n")
    page = client.get(f"/accounts/{_account().id}").data.decode()
    assert "The model file's MCP servers cannot be used:" in page and "transport must be one of" in page
    drawer = client.get(f"/chats/{chat.id}").data.decode().split('id="tools-drawer"')[1]
    assert "Confab&#39;s tools" in drawer and "Issue tracker" not in drawer.split("</dialog>")[0]


def test_a_model_without_tools_says_so_in_the_drawer(client, auth):
    auth.signup("Bob Stone", "bob@example.com")
    chat = empty_chat(client)
    db.session.get(Chat, chat.id).model_id = "demo-image"
    db.session.commit()
    drawer = client.get(f"/chats/{chat.id}").data.decode().split('id="tools-drawer"')[1].split("</dialog>")[0]
    assert "Demo image does not call tools" in drawer


def test_a_switch_while_the_model_file_is_broken_is_refused_with_the_reason(client, auth, models_file):
    auth.signup("Bob Stone", "bob@example.com")
    chat = empty_chat(client)
    models_file.write_text(models_file.read_text() + "\n  wiki: {transport: carrier-pigeon}\n")
    refused = client.post(f"/accounts/{_account().id}/mcp-servers", data={"server": "tracker", "on": "0"}, headers=JSON)
    assert refused.status_code == 422 and "transport must be one of" in refused.get_json()["error"]["message"]
    assert client.post(f"/chats/{chat.id}/tools", data={"group": "tracker", "on": "0"}, headers=JSON).status_code == 422
    assert client.post(f"/chats/{chat.id}/tools", data={"group": "builtin", "on": "0"},
                       headers=JSON).get_json()["tools_off"] == ["builtin"]
