from __future__ import annotations

import time

from hub.ids import derived_id, new_id


def test_ids_are_unique_and_sort_by_creation_time() -> None:
    first = [new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 1000 and all(len(i) == 26 for i in first)
    assert all(i < later for i in first)


def test_a_derived_id_is_stable_per_parent_and_purpose_and_sorts_with_its_parent() -> None:
    parent, other = new_id(), new_id()
    assert derived_id(parent, "first:webchat") == derived_id(parent, "first:webchat")
    assert len({derived_id(parent, "first:webchat"), derived_id(parent, "first:wechat"),
                derived_id(other, "first:webchat"), parent}) == 4
    assert len(derived_id(parent, "x")) == 26 and derived_id(parent, "x")[:12] == parent[:12]
