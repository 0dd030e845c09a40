"""The cycle collector's relaxed settings for bulk jobs (velocify_sms.gc_relaxed)."""

from __future__ import annotations

import gc

from velocify_sms.gc_relaxed import YOUNG_THRESHOLD, gc_relaxed


def test_older_objects_are_frozen_and_young_ones_collected_less_often_inside_only():
    before = gc.get_threshold()
    with gc_relaxed():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (max(before[0], YOUNG_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_overlapping_blocks_restore_the_settings_when_the_last_one_ends():
    before = gc.get_threshold()
    outer = gc_relaxed()
    outer.__enter__()
    with gc_relaxed():
        pass
    assert gc.get_threshold() != before  # the outer block still runs
    outer.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_inside_are_still_collected():
    class Node:
        pass

    with gc_relaxed():
        node = Node()
        node.me = node
        del node
        assert gc.collect() >= 1
