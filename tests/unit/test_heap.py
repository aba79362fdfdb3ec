"""A settled process: what it loaded is frozen, and young objects are collected less often."""
from __future__ import annotations

import gc

from app.platform import heap


def test_settling_freezes_what_is_loaded_and_raises_the_young_generations_threshold():
    before = gc.get_threshold()
    try:
        kept = [["loaded for life"]]
        assert any(o is kept for o in gc.get_objects())
        heap.settle()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == heap.THRESHOLDS
        assert gc.get_threshold()[0] > before[0]
        assert not any(o is kept for o in gc.get_objects())  # the collector no longer walks it
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
