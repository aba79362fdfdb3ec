"""Attachments through the real web process, worker and demo LLM (issue 8): each file reaches
the model as the part its capability calls for, the context report says so, and nobody
outside the account can fetch one."""
from __future__ import annotations

from tests.support import files


def send(member, chat_id: int, content: str, *uploads):
    return member.post(f"/chats/{chat_id}/messages", data={"content": content},
                       files=[("files", (name, data)) for name, data in uploads])


def test_every_type_reaches_a_capable_model_natively_and_the_report_says_so(ann, bob, eve, chat_id):
    uploads = [("dot.png", files.png()), ("photo.jpg", files.JPEG), ("anim.gif", files.GIF), ("pic.webp", files.webp()),
               ("song.mp3", files.MP3), ("voice.wav", files.wav()), ("report.pdf", files.pdf(["Quarterly report"]))]
    response = send(ann, chat_id, "Describe these", *uploads)
    assert response.status_code == 202, response.text
    posted = response.json()
    done = ann.finished(chat_id, posted["assistant_message"]["id"])
    assert done["status"] == "completed"
    assert "I received 7 attachments: 1. image (image/png, " in done["content"]
    assert f"6. audio (wav, {len(files.wav()):,} bytes)" in done["content"]
    assert f"7. file “report.pdf” ({len(uploads[-1][1]):,} bytes)" in done["content"]
    assert [a["sent_as"] for a in done["context"]["attachments"]] == ["image"] * 4 + ["audio"] * 2 + ["file"]
    texts = send(ann, chat_id, "And these", ("notes.txt", b"Plain notes\nmore"), ("readme.md", b"# Title\nbody"),
                 ("table.csv", b"name,amount\nann,3\n"), ("data.json", b'{"answer": 42}'))
    done = ann.finished(chat_id, texts.json()["assistant_message"]["id"])
    assert "1. text [notes.txt], first line “Plain notes”" in done["content"]
    assert "3. text [table.csv], first line “name,amount”" in done["content"]
    # Bob, a member, sees and fetches them; Eve, an outsider, gets a 404 for each.
    for attachment in posted["user_message"]["attachments"]:
        assert bob.http.get(f"{bob.url}{attachment['url']}", timeout=10).status_code == 200
        assert eve.http.get(f"{eve.url}{attachment['url']}", timeout=10).status_code == 404


def test_a_model_without_pdf_or_vision_gets_the_pdfs_text_and_no_image(ann, chat_id):
    assert ann.post(f"/chats/{chat_id}/model", data={"model_id": "demo-fast"}).status_code == 200
    refused = send(ann, chat_id, "What is this?", ("dot.png", files.png()))
    assert refused.status_code == 422 and "Demo fast cannot see images" in refused.json()["error"]["message"]
    posted = send(ann, chat_id, "Summarise", ("report.pdf", files.pdf(["Revenue rose", "Costs fell"])),
                  ("scan.pdf", files.pdf())).json()
    done = ann.finished(chat_id, posted["assistant_message"]["id"])
    assert "1. text [report.pdf, text extracted from a PDF of 1 page], first line “Revenue rose”" in done["content"]
    report = {a["filename"]: a for a in done["context"]["attachments"]}
    assert report["report.pdf"]["sent_as"] == "text" and report["report.pdf"]["chars"] == len("Revenue rose\nCosts fell")
    assert report["scan.pdf"]["sent_as"] == "nothing" and report["scan.pdf"]["reason"] == "no text in the PDF"
    page = ann.http.get(f"{ann.url}/chats/{chat_id}", timeout=10).text
    assert "report.pdf sent as text (23 characters, 1 page)" in page and "scan.pdf left out: no text in the PDF" in page


def test_a_bad_file_stores_nothing_and_an_oversized_one_is_a_413(ann, chat_id):
    before = len(ann.messages(chat_id))
    for name, data in (("trick.png", files.PNG_HEADER_THEN_HTML), ("locked.pdf", files.encrypted_pdf()),
                       ("letter.docx", files.DOCX)):
        refused = send(ann, chat_id, "bad", ("fine.txt", b"fine"), (name, data))
        assert refused.status_code == 422 and name in refused.json()["error"]["message"]
    too_big = send(ann, chat_id, "big", ("big.txt", b"x" * (20 * 1024 * 1024 + 1)))
    assert too_big.status_code == 413 and "files can be at most 20.0 MB" in too_big.json()["error"]["message"]
    assert len(ann.messages(chat_id)) == before
