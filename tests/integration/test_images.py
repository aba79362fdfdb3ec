"""Pictures on the real stack (issue 9): ``/image`` and the composer's toggle ask the image
model through the SDK's images API, every member sees the picture arrive as an attachment,
its price is recorded, and a content-policy refusal says so."""
from __future__ import annotations


def test_an_image_request_reaches_every_member_as_a_picture_with_its_price(ann, bob, chat_id, listeners):
    watcher = bob.socket()
    listeners.append(watcher)
    assert watcher.join(chat_id)["ok"]
    posted = ann.say(chat_id, "/image a lighthouse at dusk")
    assert posted["user_message"]["content"] == "/image a lighthouse at dusk"
    assert posted["assistant_message"]["model_id"] == "demo-image"
    done = watcher.wait_for("message.completed", posted["assistant_message"]["id"])["message"]
    [picture] = done["attachments"]
    assert picture["kind"] == "image" and picture["content_type"] == "image/png"
    assert done["content"] == "a lighthouse at dusk"  # the revised prompt, as the provider gave it
    assert done["cost"] == 0.04
    image = bob.http.get(f"{bob.url}{picture['url']}", timeout=10)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_the_composer_toggle_asks_for_a_picture_without_the_command(ann, chat_id):
    response = ann.post(f"/chats/{chat_id}/messages", data={"content": "a red square", "mode": "image"})
    assert response.status_code == 202
    done = ann.finished(chat_id, response.json()["assistant_message"]["id"])
    assert done["status"] == "completed" and done["attachments"][0]["kind"] == "image"
    assert response.json()["user_message"]["content"] == "/image a red square"


def test_a_content_policy_refusal_is_shown_as_such(ann, chat_id):
    reply_id = ann.say(chat_id, "/image something forbidden [[refuse]]")["assistant_message"]["id"]
    done = ann.finished(chat_id, reply_id)
    assert done["status"] == "failed" and done["attachments"] == []
    assert done["error"].startswith("Demo image refused this under its provider's content policy:")
    assert ann.post(f"/chats/{chat_id}/messages", data={"content": "/image   "}).json()["error"]["message"] == \
        "Describe the picture first, after /image."


def test_regenerating_or_editing_a_picture_request_draws_again(ann, chat_id):
    posted = ann.say(chat_id, "/image a small house")
    first = ann.finished(chat_id, posted["assistant_message"]["id"])
    again = ann.post(f"/chats/{chat_id}/messages/{first['id']}/regenerate").json()["assistant_message"]
    assert again["model_id"] == "demo-image"
    redrawn = ann.finished(chat_id, again["id"])
    assert redrawn["status"] == "completed" and redrawn["attachments"][0]["kind"] == "image"
    assert redrawn["siblings"] == [first["id"], again["id"]]
    edited = ann.post(f"/chats/{chat_id}/messages/{posted['user_message']['id']}/edit",
                      data={"content": "/image a tall tower"}).json()
    assert edited["user_message"]["content"] == "/image a tall tower"
    assert ann.finished(chat_id, edited["assistant_message"]["id"])["content"] == "a tall tower"
