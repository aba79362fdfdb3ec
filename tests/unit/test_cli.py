"""The flask CLI of SPEC §8."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, LlmModel, LlmProvider, Membership, User
from app.models.tokens import hash_token


def _snapshot():
    return sorted(
        (m.id, m.name, m.enabled, float(m.input_price), m.context_window)
        for m in db.session.execute(sa.select(LlmModel)).scalars()
    )


def test_models_seed_twice_changes_nothing(runner):
    before = _snapshot()
    result = runner.invoke(args=["models", "seed"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert _snapshot() == before


def test_models_seed_upserts_and_leaves_other_models(runner, tmp_path):
    path = tmp_path / "models.yml"
    path.write_text(
        "providers:\n  local: {base_url: 'http://127.0.0.1:9/v1', api_key_env: LOCAL_KEY}\n"
        "models:\n  demo-chat: {provider: demo, name: Renamed demo, context_window: 1000, max_output_tokens: 100}\n"
        "  local-1: {provider: local, name: Local one, input_price: 1.5, output_price: 2}\n"
    )
    result = runner.invoke(args=["models", "seed", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 providers added" in result.output and "1 models added, 1 changed" in result.output
    assert db.session.get(LlmModel, "demo-chat").name == "Renamed demo"
    assert db.session.get(LlmModel, "local-1").provider.api_key_env == "LOCAL_KEY"
    assert db.session.get(LlmModel, "gpt-4o") is not None


def test_malformed_yaml_names_the_file_and_changes_nothing(runner, tmp_path):
    before = _snapshot()
    broken = tmp_path / "broken.yml"
    broken.write_text("models: [1, 2\n")
    result = runner.invoke(args=["models", "seed", "--file", str(broken)])
    assert result.exit_code != 0
    assert str(broken) in result.output and "not valid YAML" in result.output
    invalid = tmp_path / "invalid.yml"
    invalid.write_text(
        "providers: {demo: {base_url: 'http://x/v1'}}\n"
        "models:\n  demo-chat: {provider: demo, name: Changed}\n  bad: {provider: demo, context_window: -5}\n"
    )
    result = runner.invoke(args=["models", "seed", "--file", str(invalid)])
    assert result.exit_code != 0
    assert str(invalid) in result.output and "context_window must be a positive whole number" in result.output
    assert _snapshot() == before
    assert db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == "demo")).scalar_one().base_url.endswith("5055}/v1")


def test_models_list_prints_the_registry(runner):
    result = runner.invoke(args=["models", "list"])
    assert "demo-chat" in result.output and "demo-image" in result.output and "disabled" in result.output


def test_users_create_add_member_and_tokens_create(runner, client, auth):
    result = runner.invoke(args=["users", "create", "--email", "Cy@Example.com", "--name", "Cy Young", "--password", "correct horse"])
    assert result.exit_code == 0, result.output
    cy = db.session.execute(sa.select(User).where(User.email == "cy@example.com")).scalar_one()
    runner.invoke(args=["users", "create", "--email", "dee@example.com", "--name", "Dee", "--password", "correct horse"])
    result = runner.invoke(args=["accounts", "add-member", "Cy Young's account", "dee@example.com", "--role", "owner"])
    assert result.exit_code == 0, result.output
    dee = db.session.execute(sa.select(User).where(User.email == "dee@example.com")).scalar_one()
    roles = {m.account.name: m.role for m in db.session.execute(sa.select(Membership).where(Membership.user_id == dee.id)).scalars()}
    assert roles == {"Dee's account": "owner", "Cy Young's account": "owner"}

    result = runner.invoke(args=["tokens", "create", "cy@example.com", "--name", "ci"])
    token = result.output.strip()
    assert token.startswith("cfb_")
    stored = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == cy.id)).scalar_one()
    assert stored.token_hash == hash_token(token) and stored.name == "ci"

    assert auth.login("dee@example.com", "correct horse").status_code == 302
    accounts = client.get("/chats").data
    assert b"Cy Young&#39;s account" in accounts


def test_cli_errors_are_clear(runner):
    result = runner.invoke(args=["users", "create", "--email", "x@example.com", "--name", "X", "--password", "short"])
    assert result.exit_code != 0 and "at least 8 characters" in result.output
    result = runner.invoke(args=["accounts", "add-member", "No such account", "x@example.com"])
    assert result.exit_code != 0 and "No account named" in result.output
    result = runner.invoke(args=["tokens", "create", "ghost@example.com"])
    assert result.exit_code != 0 and "No user with email" in result.output
