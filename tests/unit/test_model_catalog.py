"""The model catalog (issue 31): each provider's own list over HTTP through the SDK, the
price library for id-only lists, the model file winning, and models that come and go."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.catalog import listed, price_library, refresh, registry
from app.conversations.chats import ChatError, usable_model
from app.extensions import db
from app.models import LlmModel, LlmProvider


@pytest.fixture
def catalog_file(app, demo_llm, tmp_path):
    """A model file with two providers on the demo server: an OpenRouter-style router (key
    in ROUTER_KEY, switching on OpenAI's models) and an id-only local server (no key)."""
    path = tmp_path / "models.yml"
    path.write_text(
        "providers:\n"
        f"  router: {{base_url: '{demo_llm}/catalog/openrouter/v1', api_key_env: ROUTER_KEY,"
        " enable: ['openai/*']}\n"
        f"  local: {{base_url: '{demo_llm}/v1', api_key_env: null}}\n"
        "models:\n"
        "  openai/gpt-4.1: {provider: router, name: GPT-4.1 (ours), input_price: 1.0, output_price: 4}\n"
    )
    app.config["PROVIDER_ENV"] = {"ROUTER_KEY": "sk-router-test"}
    registry.seed(path)
    db.session.commit()
    return path


def _model(model_id: str) -> LlmModel:
    db.session.expire_all()
    return db.session.get(LlmModel, model_id)


def _provider(key: str) -> LlmProvider:
    return db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == key)).scalar_one()


def _snapshot(provider_key: str) -> list[tuple]:
    db.session.expire_all()
    return sorted((m.id, m.name, m.input_price, m.output_price, m.context_window, m.enabled, m.available)
                  for m in _provider(provider_key).models)


def test_an_openrouter_style_list_gives_exact_prices_limits_and_capabilities(catalog_file):
    [result] = refresh.refresh("router", catalog_file)
    assert result.error is None and result.listed == 17 and result.added == 16, result.summary()
    mini = _model("openai/gpt-4o-mini")
    assert (mini.input_price, mini.cached_input_price, mini.output_price) == (
        Decimal("0.15"), Decimal("0.075"), Decimal("0.6"))
    assert (mini.context_window, mini.max_output_tokens) == (128_000, 16_384)
    assert (mini.price_source, mini.limits_source, mini.kind) == ("provider", "provider", "chat")
    assert mini.capabilities == ["pdf", "streaming", "structured_output", "tools", "vision"]
    assert mini.cost(1_000_000, 0, 1_000_000) == Decimal("0.75")
    claude = _model("anthropic/claude-sonnet-4")
    assert "reasoning" in claude.capabilities and claude.output_price == Decimal("15")
    assert _model("google/gemini-2.5-flash-image").kind == "image"
    assert _model("openai/text-embedding-3-small").kind == "embedding"
    assert _model("openai/gpt-4o-mini-tts").kind == "audio"
    llama = _model("meta-llama/llama-3.3-70b-instruct")
    assert (llama.input_price, llama.output_price) == (Decimal("0.038"), Decimal("0.12"))


def test_models_nobody_prices_are_kept_with_an_unknown_price_never_zero(catalog_file):
    refresh.refresh("router", catalog_file)
    for model_id in ("openrouter/auto", "someone/unpriced-model"):
        model = _model(model_id)
        assert model.input_price is None and model.output_price is None and model.price_source is None
        assert model.cost(1000, 0, 1000) is None
    free = _model("qwen/qwen3-coder:free")
    assert (free.input_price, free.output_price, free.price_source) == (Decimal(0), Decimal(0), "provider")


def test_new_models_arrive_switched_off_unless_the_provider_enables_them(catalog_file, runner):
    refresh.refresh("router", catalog_file)
    assert _model("openai/gpt-4o-mini").enabled and _model("openai/gpt-4o-mini-tts").kind == "audio"
    assert not _model("anthropic/claude-sonnet-4").enabled
    offered = {m.id for m in registry.offered_models("chat")}
    assert "openai/gpt-4o-mini" in offered and "anthropic/claude-sonnet-4" not in offered
    assert "openai/text-embedding-3-small" not in offered | {m.id for m in registry.offered_models("image")}
    result = runner.invoke(args=["models", "enable", "anthropic/*"])
    assert result.exit_code == 0 and "2 models switched on" in result.output
    assert _model("anthropic/claude-sonnet-4").enabled and _model("anthropic/claude-3.5-haiku").enabled
    result = runner.invoke(args=["models", "disable", "openai/gpt-4o-mini"])
    assert "1 models switched on" not in result.output and "1 models switched off" in result.output
    assert not _model("openai/gpt-4o-mini").enabled


def test_enable_all_switches_every_new_chat_model_on(catalog_file):
    _provider("router").enable = "all"
    db.session.commit()
    refresh.refresh("router", catalog_file)
    assert _model("anthropic/claude-sonnet-4").enabled and _model("someone/unpriced-model").enabled


def test_the_model_file_wins_for_what_it_states(catalog_file):
    refresh.refresh("router", catalog_file)
    ours = _model("openai/gpt-4.1")
    assert ours.name == "GPT-4.1 (ours)" and ours.price_source == "file"
    assert (ours.input_price, ours.output_price) == (Decimal("1"), Decimal("4"))
    assert ours.context_window == 1_047_576 and ours.limits_source == "provider"


def test_an_id_taken_by_another_provider_is_kept_under_the_providers_key(catalog_file):
    refresh.refresh("router", catalog_file)
    routed = _model("router:demo-chat")
    assert routed.remote_id == "demo-chat" and routed.provider.key == "router"
    assert _model("demo-chat").provider.key == "demo"


def test_an_id_only_list_takes_prices_and_context_from_the_price_library(catalog_file):
    [result] = refresh.refresh("local", catalog_file)
    assert result.error is None, result.summary()
    mini = _model("local:gpt-4o-mini")  # gpt-4o-mini itself is the model file's OpenAI model
    assert (mini.input_price, mini.cached_input_price, mini.output_price) == (
        Decimal("0.15"), Decimal("0.075"), Decimal("0.6"))
    assert (mini.price_source, mini.limits_source, mini.context_window) == ("library", "library", 128_000)
    assert not mini.enabled
    unknown = _model("unheard-of-model-1")
    assert unknown.input_price is None and unknown.price_source is None and unknown.kind == "chat"
    assert _model("whisper-1").kind == "audio" and _model("dall-e-3").kind == "image"
    assert _model("text-embedding-3-small").kind == "embedding"


def test_a_model_the_provider_stops_listing_is_marked_unavailable_not_deleted(catalog_file):
    refresh.refresh("router", catalog_file)
    router = _provider("router")
    full_url = router.base_url
    router.base_url = full_url.replace("/openrouter/", "/openrouter,drop=2/")
    db.session.commit()
    [result] = refresh.refresh("router", catalog_file)
    assert result.gone == 2 and result.added == 0, result.summary()
    gone = _model("openai/gpt-4o-mini")
    assert gone is not None and not gone.available and gone.enabled
    assert gone.id not in {m.id for m in registry.offered_models("chat")}
    with pytest.raises(ChatError, match="router no longer offers OpenAI: GPT-4o-mini"):
        usable_model("openai/gpt-4o-mini")
    _provider("router").base_url = full_url
    db.session.commit()
    [result] = refresh.refresh("router", catalog_file)
    assert _model("openai/gpt-4o-mini").available and result.gone == 0


@pytest.mark.parametrize(("spec", "expected"), [
    ("status=401", "answered 401: Incorrect API key provided."),
    ("slow=3", "did not answer within 1 s."),
])
def test_a_provider_that_fails_keeps_its_models_as_they_were(catalog_file, app, spec, expected):
    refresh.refresh("router", catalog_file)
    before = _snapshot("router")
    router = _provider("router")
    router.base_url = router.base_url.replace("/openrouter/", f"/openrouter,{spec}/")
    db.session.commit()
    app.config["MODEL_LIST_TIMEOUT_SECONDS"] = 1
    [result] = refresh.refresh("router", catalog_file)
    assert expected in result.error and "kept as they were" in result.summary()
    assert _snapshot("router") == before
    assert expected in _provider("router").refresh_error


def test_a_second_refresh_of_an_unchanged_list_changes_nothing(catalog_file):
    refresh.refresh("router", catalog_file)
    before = _snapshot("router")
    [result] = refresh.refresh("router", catalog_file)
    assert (result.added, result.changed, result.gone) == (0, 0, 0), result.summary()
    assert _snapshot("router") == before


def test_the_cli_refreshes_and_says_which_provider_failed_and_why(catalog_file, runner, app):
    app.config["MODELS_FILE"] = str(catalog_file)
    result = runner.invoke(args=["models", "refresh", "--provider", "router"])
    assert result.exit_code == 0, result.output
    assert "router: 17 listed, 16 added, 1 changed" in result.output  # the file's openai/gpt-4.1 gains its limits
    result = runner.invoke(args=["models", "refresh"])
    assert "openai: not asked: The API key for provider 'openai' is not configured" in result.output
    assert "local: 9 listed" in result.output
    listing = runner.invoke(args=["models", "list"]).output
    assert "someone/unpriced-model" in listing and "price unknown" in listing
    router = _provider("router")
    router.base_url = router.base_url.replace("/openrouter/", "/openrouter,status=401/")
    db.session.commit()
    result = runner.invoke(args=["models", "refresh", "--provider", "router"])
    assert result.exit_code == 1 and "router: not refreshed:" in result.output and "401" in result.output
    result = runner.invoke(args=["models", "refresh", "--provider", "nobody"])
    assert result.exit_code != 0 and "No provider 'nobody'" in result.output


def test_per_token_prices_become_exact_prices_per_million():
    entry = {"id": "x/y", "pricing": {"prompt": "0.00000015", "completion": "0.0000006",
                                      "input_cache_read": "0.000000075"}}
    found = listed.read(entry)
    assert (found.input_price, found.cached_input_price, found.output_price) == (
        Decimal("0.15"), Decimal("0.075"), Decimal("0.6"))
    assert str(found.input_price) == "0.15000000"


@pytest.mark.parametrize("entry", [
    {"id": ""}, {"id": 5}, {"id": "x" * 201}, "not an entry", None,
])
def test_entries_without_a_usable_id_are_skipped(entry):
    assert listed.read(entry) is None


@pytest.mark.parametrize("price", ["-1", "abc", None, True, "NaN", "Infinity", [1]])
def test_a_price_that_is_no_price_leaves_the_model_unpriced(price):
    found = listed.read({"id": "x/y", "pricing": {"prompt": price, "completion": "0.000001"}})
    assert found.input_price is None and not found.priced


def test_the_price_library_knows_gpt_4o_mini_at_openais_address():
    facts = price_library.look_up("gpt-4o-mini", "https://api.openai.com/v1")
    assert facts is not None
    assert (facts.input_price, facts.cached_input_price, facts.output_price) == (
        Decimal("0.15"), Decimal("0.075"), Decimal("0.6"))
    assert facts.context_window == 128_000


def test_the_price_library_finds_a_model_at_a_local_address_by_its_id_alone():
    facts = price_library.look_up("gpt-4o-mini", "http://127.0.0.1:8000/v1")
    assert facts is not None and facts.input_price == Decimal("0.15")
    assert price_library.look_up("unheard-of-model-1", "http://127.0.0.1:8000/v1") is None


def test_the_model_file_is_a_price_source_of_its_own(app):
    model = db.session.get(LlmModel, "gpt-4o-mini")
    assert (model.price_source, model.limits_source) == ("file", "file")
    assert model.input_price == Decimal("0.15")
