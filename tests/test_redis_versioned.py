"""Versioned keys on a live Redis (fakeredis and the real server): one INCR orphans every
key of the old version, and nothing the demonstration wrote is left behind."""

from __future__ import annotations

import pytest
from redis_fixtures import lab_fixture  # noqa: F401 (a fixture)

from simcache.redis_lab.versioned import version_bump

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


def test_incr_moves_every_reader_to_new_keys_and_leaves_orphans(lab):
    demo = version_bump(lab, items=4, ttl_s=30)
    assert (demo.version_before, demo.version_after) == (1, 2)
    assert demo.hits_before == 4 and demo.hits_after == 0
    assert demo.orphans == 4  # the old keys were still there after the bump
    assert 0 < demo.orphan_ttl_s <= 30
    assert 0 < demo.counter_ttl_s <= lab.safety_ttl_s  # INCR keeps the expiry
    table = demo.table()
    assert list(table.columns) == ["command", "result", "note"]
    assert any(cmd.startswith("INCR ") for cmd in table["command"])
    assert list(lab.scan()) == []  # counter, items and orphans deleted


def test_only_prefixed_keys_and_arguments_checked(lab):
    with pytest.raises(ValueError, match="items"):
        version_bump(lab, items=0)
    with pytest.raises(ValueError, match="ttl_s"):
        version_bump(lab, ttl_s=lab.safety_ttl_s + 1)
    demo = version_bump(lab, items=1)
    assert demo.orphans == 1
    if lab.is_fake:  # a server of the lab's own: every key it ever held had the prefix
        assert [k for k in lab.client.scan_iter(match="*") if not k.startswith(lab.prefix)] == []
