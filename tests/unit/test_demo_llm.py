"""The demo LLM server speaks the OpenAI API well enough for the SDK (SPEC §9)."""
from __future__ import annotations

import base64
import time

import openai
import pytest

from app.demo_llm import catalog, script


@pytest.fixture
def sdk(demo_llm):
    return openai.OpenAI(base_url=f"{demo_llm}/v1", api_key="unused", max_retries=0)


def test_models_are_listed_by_id_as_openai_lists_them(sdk):
    listed = sdk.models.list().data
    assert [m.id for m in listed] == list(catalog.IDS_ONLY)
    assert {"demo-chat", "demo-fast", "demo-image"} <= {m.id for m in listed}
    assert not any(hasattr(m, "pricing") for m in listed)


def test_non_streaming_completion_quotes_the_prompt_with_usage(sdk):
    response = sdk.chat.completions.create(model="demo-chat", messages=[{"role": "user", "content": "line one\nline two"}])
    assert response.choices[0].message.content == "You said:\n\n> line one\n> line two"
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0


def test_attachments_are_acknowledged_by_kind_size_and_first_line(sdk):
    parts = [{"type": "text", "text": "look"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
             {"type": "input_audio", "input_audio": {"data": "AAAAAA==", "format": "wav"}},
             {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,AAAAAAAA"}},
             {"type": "text", "text": "[notes.csv]\nname,amount\nann,3"}]
    response = sdk.chat.completions.create(model="demo-chat", messages=[{"role": "user", "content": parts}])
    assert response.choices[0].message.content == (
        "You said:\n\n> look\n\nI received 4 attachments: 1. image (image/png, 3 bytes); 2. audio (wav, 4 bytes); "
        "3. file “a.pdf” (6 bytes); 4. text [notes.csv], first line “name,amount”.")


def test_image_generation_returns_a_png(sdk):
    result = sdk.images.generate(model="demo-image", prompt="a red square", response_format="b64_json")
    png = base64.b64decode(result.data[0].b64_json)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in png and png.endswith(b"IEND\xaeB`\x82")


def test_content_policy_refusal_is_a_bad_request(sdk):
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.images.generate(model="demo-image", prompt="something [[refuse]]")
    assert caught.value.code == "content_policy_violation"


@pytest.mark.parametrize("wanted", [1, 7, 120, 200])
def test_answers_split_into_exactly_the_chunks_asked_for(wanted):
    text = "abcdefghij" * 100 + "x"
    pieces = script.split_chunks(text, wanted)
    assert len(pieces) == wanted and "".join(pieces) == text


def test_bad_bodies_get_openai_shaped_errors(demo_llm):
    import requests

    response = requests.post(f"{demo_llm}/v1/chat/completions", data="not json", timeout=5)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_body"


def test_stamped_chunks_are_their_send_times_as_words(sdk):
    before = time.time()
    stream = sdk.chat.completions.create(model="demo-chat", stream=True,
                                         messages=[{"role": "user", "content": "hi [[stamp]] [[chunks:12]]"}])
    texts = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    after = time.time()
    assert len(texts) == 12
    assert all(script.STAMPS.fullmatch(text) for text in texts)
    sent = [float(text) for text in texts]
    assert before <= sent[0] <= sent[-1] <= after and sent == sorted(sent)
    assert script.STAMPS.findall("".join(texts)) == [text.strip() for text in texts]
