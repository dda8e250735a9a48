"""Memo keys of a model's weights: by content, not by `id`, which Python hands to a newer object once the
older one is freed (a page then showed what an earlier epoch's weights computed)."""

from playground.ui.inputs import weights_key


def test_equal_weights_share_a_key_and_different_ones_do_not():
    first = bytes(range(200)) * 50
    same = bytes(bytearray(first))  # another object, the same content
    assert first is not same and weights_key(first) == weights_key(same)
    changed = first[:-1] + b"\x00"
    assert weights_key(changed) != weights_key(first)
    assert weights_key(None) is None


def test_a_new_snapshot_at_a_freed_snapshots_address_gets_its_own_key():
    keys, ids = set(), set()
    for epoch in range(200):
        snapshot = bytes([epoch % 256]) * 4096  # freed at the next loop: CPython often reuses the address
        ids.add(id(snapshot))
        keys.add(weights_key(snapshot))
    assert len(keys) == 200
    assert len(ids) < 200  # what keying by id would have confused
