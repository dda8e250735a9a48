"""`PointEdits.from_dict` (the 2-D Playground's `points=` link value) refuses every malformed value with a
ValueError that says what is wrong: never an AttributeError or OverflowError, and never a huge edit list."""

from __future__ import annotations

import pytest

from playground.basics.playground2d import MAX_EDITS, N_POINTS, PointEdits


@pytest.mark.parametrize("value, message", [
    ([], "must be an object"),
    ("added", "must be an object"),
    ({"added": [], "extra": 1}, "must be an object"),
    ({"added": 5}, "must be lists"),
    ({"added": [[1, 2]]}, "three finite numbers"),
    ({"added": [[1, 2, 10**400]]}, "three finite numbers"),  # a float cannot hold it
    ({"added": [[1, 2, float("inf")]]}, "three finite numbers"),
    ({"added": [[True, 2, 1]]}, "three finite numbers"),
    ({"added": [[7, 0, 1]]}, "inside the plot"),
    ({"added": [[1, 1, 1e6]]}, "label or target must lie between -100 and 100"),
    ({"removed": [[2, 0]]}, f"index from 0 to {N_POINTS - 1}"),
    ({"removed": [[0, 10**400]]}, f"index from 0 to {N_POINTS - 1}"),
    ({"removed": [[0, 1.5]]}, "part 0 or 1 and an index"),
    ({"added": [[0, 0, 1]] * (MAX_EDITS + 1)}, f"at most {MAX_EDITS:,} points"),
])
def test_malformed_point_edits_are_refused_with_a_message(value, message):
    with pytest.raises(ValueError, match=message):
        PointEdits.from_dict(value)


def test_well_formed_point_edits_round_trip():
    edits = PointEdits(((0.5, -6.0, 1.0),), ((1, N_POINTS - 1), (0, 0)))
    assert PointEdits.from_dict(edits.to_dict()) == edits
    assert PointEdits.from_dict({}) == PointEdits()
