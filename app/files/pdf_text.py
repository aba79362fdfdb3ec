"""Reading a PDF's text, page by page, within caps (SPEC §6, issue 30).

This runs only in a document-reading child process (``app/platform/isolated.py``, called by
``reading.py``), never in the web or worker process: pypdf is pure Python, and a file of
20,000 pages, or one page of 8 million text operators, keeps it busy for seconds. The child
stops itself at ``seconds`` (an alarm signal, which reaches pure Python between any two
bytecodes) and keeps what it read so far; the parent kills it if even that fails to answer.
Its address space is capped, so a file built to exhaust memory fails alone.
"""
from __future__ import annotations

import resource
import signal
from typing import Any

# Why reading stopped before the end, or why nothing could be read.
STOPPED_PAGES, STOPPED_CHARS, STOPPED_TIME = "pages", "chars", "time"
DAMAGED, ENCRYPTED, TOO_LARGE = "damaged", "encrypted", "too large"


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that pypdf's own ``except Exception`` cannot swallow it."""


def _out_of_time(signum: int, frame: Any) -> None:
    raise _OutOfTime


def _storable(text: str) -> str:
    """Text the database takes: no NUL, no lone surrogates."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def read_pdf(path: str, max_pages: int, max_chars: int, seconds: float, max_memory: int) -> dict:
    """The text of the PDF at ``path``, at most ``max_pages`` pages and ``max_chars``
    characters, read for at most ``seconds``: ``{"text", "pages", "pages_read",
    "unreadable_pages", "stopped", "failed"}``. ``pages`` is the page count (None when it
    could not be read); ``stopped`` is None or the cap that ended reading early; ``failed``
    is None, or why nothing could be read. A page pypdf cannot read counts as unreadable and
    reading goes on."""
    from pypdf import PdfReader  # imported in the child only

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, hard))
    result: dict = {"text": "", "pages": None, "pages_read": 0, "unreadable_pages": 0, "stopped": None,
                    "failed": None}
    texts: list[str] = []
    chars = 0
    previous = signal.signal(signal.SIGALRM, _out_of_time)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            result["failed"] = ENCRYPTED
            return result
        result["pages"] = len(reader.pages)
        for index, page in enumerate(reader.pages):
            if index >= max_pages:
                result["stopped"] = STOPPED_PAGES
                break
            try:
                text = _storable((page.extract_text() or "").strip())
            except Exception:  # one bad page is counted, and reading goes on
                result["unreadable_pages"] += 1
                text = ""
            result["pages_read"] = index + 1
            if chars + len(text) > max_chars:
                texts.append(text[:max_chars - chars])
                result["stopped"] = STOPPED_CHARS
                break
            texts.append(text)
            chars += len(text)
    except _OutOfTime:
        result["stopped"] = STOPPED_TIME
    except MemoryError:
        result["failed"] = TOO_LARGE
    except Exception:  # whatever pypdf raises: the file, or its rest, could not be read
        result["failed" if result["pages"] is None else "stopped"] = DAMAGED
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    result["text"] = "\n\n".join(text for text in texts if text)
    return result
