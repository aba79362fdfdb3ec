"""Attachments in the app (issue 8): every accepted type stored once by its hash, every bad
file refused with a clear message and nothing stored, files sent to the model by capability
with a report, and files removed when nothing refers to them any more."""
from __future__ import annotations

import io
import os
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.files import reading, storage
from app.models import Attachment, Chat, Message
from app.replies import store
from app.replies.context import build_request
from app.web.files import FILE_CSP
from tests.support import files
from tests.support.chats import empty_chat

ACCEPTED = [
    ("dot.png", files.png(), "image/png", "image"),
    ("photo.jpg", files.JPEG, "image/jpeg", "image"),
    ("anim.gif", files.GIF, "image/gif", "image"),
    ("pic.webp", files.webp(), "image/webp", "image"),
    ("song.mp3", files.MP3, "audio/mpeg", "audio"),
    ("voice.wav", files.wav(), "audio/wav", "audio"),
    ("report.pdf", files.pdf(["Quarterly report", "Revenue rose"]), "application/pdf", "pdf"),
    ("notes.txt", "Plain notes\nsecond line".encode(), "text/plain", "text"),
    ("readme.md", "# Title\n\nBody ✓ with `<script>` quoted\n\n<p align=center>hi</p>".encode(), "text/markdown", "text"),
    ("table.csv", b"name,amount\nann,3\n", "text/csv", "text"),
    ("data.json", b'{"answer": 42}', "application/json", "text"),
]
REFUSED = [
    ("page.png", files.HTML_AS_PNG, "is not a file type Confab takes"),
    ("drawing.png", files.SVG_AS_PNG, "is not a file type Confab takes"),
    ("page.txt", b"\n  <!DOCTYPE html><html><body>hi</body></html>", "is not a file type Confab takes"),
    ("trick.png", files.PNG_HEADER_THEN_HTML, "starts like a PNG file but is not one"),
    ("empty.txt", b"", "is empty"),
    ("letter.docx", files.DOCX, "is a file of type ZIP"),
    ("movie.mp4", files.MP4, "is a file of type MP4"),
    ("tool", files.ELF, "is a file of type ELF"),
    ("broken.pdf", files.CORRUPT_PDF, "is a damaged PDF that cannot be read"),
    ("locked.pdf", files.encrypted_pdf(), "is password-protected"),
    ("../../etc/passwd", b"root:x:0:0", "is a path, not a file name"),
    ("nul\x00.txt", b"text", "control or text-direction characters"),
    ("bell\x07.txt", b"text", "control or text-direction characters"),
    ("invoice\u202efdp.exe", b"text", "control or text-direction characters"),
    ("x" * 300 + ".txt", b"text", "has a name longer than 255 characters"),
    ("bad.json", b"{nope", "is named .json but is not valid JSON"),
]

FILE_CSP_AS_SENT = FILE_CSP + " "  # Flask-Talisman rebuilds a policy with a space after a bare directive


@pytest.fixture
def chat(client, auth):
    auth.signup()
    empty_chat(client, title="Files")
    return db.session.execute(sa.select(Chat)).scalar_one()


def send(client, chat_id, content="", *uploads):
    data = {"content": content, "files": [(io.BytesIO(data), name) for name, data in uploads]}
    return client.post(f"/chats/{chat_id}/messages", data=data, content_type="multipart/form-data",
                       headers={"X-Requested-With": "fetch", "Accept": "application/json"})


def stored_files() -> set[str]:
    root = storage._root()
    return {p.name for p in root.iterdir() if p.is_file()}


@pytest.fixture(autouse=True)
def empty_storage(app):
    for name in stored_files():
        storage.path_for(name).unlink()


@pytest.mark.parametrize(("name", "data", "content_type", "kind"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_each_accepted_type_is_stored_by_its_bytes_and_described_in_the_message(client, chat, name, data,
                                                                                content_type, kind):
    response = send(client, chat.id, "Have a look", (name, data))
    assert response.status_code == 202, response.get_json()
    [attachment] = response.get_json()["user_message"]["attachments"]
    assert (attachment["filename"], attachment["content_type"], attachment["byte_size"], attachment["kind"]) == (
        name, content_type, len(data), kind)
    assert attachment["url"] == f"/attachments/{attachment['id']}"
    row = db.session.get(Attachment, attachment["id"])
    assert storage.read(row.storage_key) == data and row.sha256 == storage.key_for(data)
    served = client.get(attachment["url"])
    assert served.data == data and served.mimetype == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers.getlist("Content-Security-Policy") == [FILE_CSP_AS_SENT]


@pytest.mark.parametrize(("name", "data", "message"), REFUSED, ids=[r[2][:30] + str(i) for i, r in enumerate(REFUSED)])
def test_each_bad_file_is_refused_with_a_clear_message_and_nothing_is_stored(client, chat, name, data, message):
    response = send(client, chat.id, "with a bad file", ("fine.txt", b"a good file"), (name, data))
    assert response.status_code == 422
    assert message in response.get_json()["error"]["message"]
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one() == 0
    assert db.session.execute(sa.select(sa.func.count(Attachment.id))).scalar_one() == 0
    assert stored_files() == set()


def test_photos_with_data_after_the_image_are_still_photos(client, chat):
    motion_photo = files.JPEG + b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64  # a phone's video after the JPEG
    png_with_trailer = files.png() + b"trailing bytes some editors leave"
    response = send(client, chat.id, "", ("motion.jpg", motion_photo), ("edited.png", png_with_trailer))
    assert response.status_code == 202
    assert [a["content_type"] for a in response.get_json()["user_message"]["attachments"]] == ["image/jpeg", "image/png"]


def test_an_oversized_file_and_too_many_files_are_refused(client, chat, app):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    too_big = send(client, chat.id, "", ("big.txt", b"x" * 1001))
    assert too_big.status_code == 413 and "files can be at most" in too_big.get_json()["error"]["message"]
    app.config["MAX_FILES_PER_MESSAGE"] = 2
    too_many = send(client, chat.id, "", *[(f"{n}.txt", b"text") for n in range(3)])
    assert too_many.status_code == 422 and "at most 2 files" in too_many.get_json()["error"]["message"]
    assert stored_files() == set()


def test_the_same_file_twice_is_stored_once_and_a_message_may_be_only_files(client, chat):
    picture = files.png()
    assert send(client, chat.id, "", ("one.png", picture)).status_code == 202
    assert send(client, chat.id, "again", ("two.png", picture)).status_code == 202
    assert stored_files() == {storage.key_for(picture)}
    assert send(client, chat.id, "   ").get_json()["error"]["message"] == "Write a message first."


def test_a_model_without_vision_is_refused_an_image_until_the_chat_switches(client, chat):
    client.post(f"/chats/{chat.id}/model", data={"model_id": "demo-fast"})
    refused = send(client, chat.id, "see?", ("dot.png", files.png()))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == (
        "Demo fast cannot see images, so it cannot take “dot.png”. Switch the chat to a model with vision, "
        "or send it without the file.")
    assert stored_files() == set()
    assert send(client, chat.id, "a text file is fine", ("notes.txt", b"hello")).status_code == 202
    client.post(f"/chats/{chat.id}/model", data={"model_id": "demo-chat"})
    assert send(client, chat.id, "see?", ("dot.png", files.png())).status_code == 202


def test_files_reach_the_model_as_the_parts_its_capabilities_allow(client, chat):
    response = send(client, chat.id, "All of them", ("dot.png", files.png()), ("voice.wav", files.wav()),
                    ("report.pdf", files.pdf(["Quarterly report"])), ("scan.pdf", files.pdf()),
                    ("table.csv", b"name,amount\nann,3\n"))
    reading.read_message_documents(response.get_json()["user_message"]["id"])
    reply = db.session.get(Message, response.get_json()["assistant_message"]["id"])
    everything = build_request(store.history(reply.parent_id), None, 32000, 1000)
    parts = everything.messages[-1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "input_audio", "file", "file", "text"]
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,iVBOR")
    assert parts[2]["input_audio"]["format"] == "wav"
    assert parts[3]["file"]["filename"] == "report.pdf"
    assert parts[5]["text"] == "[table.csv]\nname,amount\nann,3\n"
    assert [a["sent_as"] for a in everything.report["attachments"]] == ["image", "audio", "file", "file", "text"]
    assert "_tokens" not in everything.messages[-1] and "_files" not in everything.messages[-1]

    text_only = build_request(store.history(reply.parent_id), None, 32000, 1000, frozenset({"streaming"}))
    parts = text_only.messages[-1]["content"]
    assert [p["type"] for p in parts] == ["text"] * 6
    assert parts[3]["text"] == "[report.pdf, text extracted from a PDF of 1 page]\nQuarterly report"
    assert "no text in it (a scan?)" in parts[4]["text"]
    report = {a["filename"]: a for a in text_only.report["attachments"]}
    assert report["dot.png"] == {**report["dot.png"], "sent_as": "nothing", "reason": "the model has no vision"}
    assert report["report.pdf"]["sent_as"] == "text" and report["report.pdf"]["chars"] == len("Quarterly report")
    assert report["scan.pdf"]["reason"] == "no text in the PDF"


def test_trimming_counts_files_and_reports_the_ones_it_left_out(client, chat):
    send(client, chat.id, "old picture", ("dot.png", files.png()))
    reply = db.session.get(Message, send(client, chat.id, "new question").get_json()["assistant_message"]["id"])
    for m in db.session.execute(sa.select(Message).where(Message.role == "assistant")).scalars():
        m.status, m.content = "completed", "ok"
    db.session.commit()
    roomy = build_request(store.history(reply.parent_id), None, 32000, 1000)
    assert [a["sent_as"] for a in roomy.report["attachments"]] == ["image"]  # a later turn still carries it
    tight = build_request(store.history(reply.parent_id), None, 900, 100)  # the image alone is ~800 tokens
    assert tight.report["attachments"] == [{**tight.report["attachments"][0], "sent_as": "trimmed",
                                            "reason": "left out to fit the context"}]
    assert all(isinstance(m["content"], str) for m in tight.messages)


def test_deleting_a_chat_removes_files_nothing_else_refers_to(client, chat, auth):
    shared, own = files.png(colour=(1, 2, 3)), b"only in the first chat"
    send(client, chat.id, "", ("shared.png", shared), ("own.txt", own))
    empty_chat(client, title="Second")
    second = db.session.execute(sa.select(Chat).where(Chat.title == "Second")).scalar_one()
    send(client, second.id, "", ("shared-again.png", shared))
    client.post(f"/chats/{chat.id}/delete")
    assert stored_files() == {storage.key_for(shared)}
    client.post(f"/chats/{second.id}/delete")
    assert stored_files() == set()


def test_the_sweep_removes_only_old_unreferenced_files(client, chat, runner):
    send(client, chat.id, "", ("kept.txt", b"referenced"))
    orphan = storage.save(b"written, then the process died before the commit")
    fresh_orphan = storage.save(b"an upload still in flight")
    hour_ago = time.time() - 3700
    for key in (orphan, storage.key_for(b"referenced")):
        os.utime(storage.path_for(key), (hour_ago, hour_ago))
    result = runner.invoke(args=["storage", "sweep"])
    assert result.exit_code == 0 and "Removed 1 unreferenced file" in result.output
    assert stored_files() == {storage.key_for(b"referenced"), fresh_orphan}
