from __future__ import annotations

import time

from hub.ids import new_id


def test_ids_are_unique_and_sort_by_creation_time() -> None:
    first = [new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 1000 and all(len(i) == 26 for i in first)
    assert all(i < later for i in first)
