"""The model catalog on the real stack (issue 31): `flask models refresh` reads an
OpenRouter-style provider over HTTP into the database the web and worker processes use, and
a reply on a model nobody prices keeps its tokens with a null cost, counted apart on the
usage page and never as $0."""
from __future__ import annotations

import re

UNPRICED = "someone/unpriced-model"


def test_a_refreshed_model_without_a_price_answers_with_a_null_cost_counted_apart(stack, ann, tmp_path):
    models_file = tmp_path / "router.yml"
    models_file.write_text("providers:\n  router: {base_url: '"
                           f"{stack.demo_url}/catalog/openrouter/v1', api_key_env: null}}\nmodels: {{}}\n")
    stack.flask("models", "seed", "--file", str(models_file))
    refreshed = stack.flask("models", "refresh", "--provider", "router")
    assert re.search(r"router: 17 listed, 17 added, 0 changed", refreshed), refreshed
    assert "1 models switched on" in stack.flask("models", "enable", UNPRICED)
    chat_id = ann.new_chat("unpriced")
    changed = ann.post(f"/chats/{chat_id}/model", data={"model_id": UNPRICED})
    assert changed.status_code in (200, 302), changed.text
    try:
        posted = ann.say(chat_id, "How much does this cost?")
        assert posted["assistant_message"]["model_id"] == UNPRICED
        done = ann.finished(chat_id, posted["assistant_message"]["id"])
        assert done["status"] == "completed", done
        assert done["output_tokens"] > 0 and done["input_tokens"] > 0
        assert done["cost"] is None
        assert done["context"]["cost_source"] == "unpriced"
        page = ann.http.get(f"{ann.url}/chats/{chat_id}", timeout=10).text
        assert "price unknown" in page, page[:3000]
        usage = ann.http.get(f"{ann.url}/usage", timeout=10).text
        assert re.search(r'id="unpriced-replies">\d+ repl(y|ies) without a price', usage), usage
        assert "price unknown" in usage
    finally:
        stack.flask("models", "disable", UNPRICED)
