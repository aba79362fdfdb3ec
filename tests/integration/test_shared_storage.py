"""Hosts share one storage root (issue 34): a web process whose attachments folder is not the
one the running processes use refuses to start, saying why, instead of storing files no other
host can serve."""
from __future__ import annotations

import sys

from tests.support.processes import free_port, start


def test_a_host_with_a_storage_root_of_its_own_refuses_to_start(stack, tmp_path):
    log = tmp_path / "web-elsewhere.log"
    process = start([sys.executable, "wsgi.py"], {**stack.env(), "PORT": str(free_port()),
                                                  "CONFAB_STORAGE_ROOT": str(tmp_path / "local-only")}, log)
    assert process.wait(timeout=60) != 0
    text = log.read_text()
    assert "StorageNotShared" in text and "is not the one the other Confab processes use" in text
    assert "mount the shared volume at CONFAB_STORAGE_ROOT" in text
