"""optiform.pareto: non-dominated rows, exact hypervolume, reference points.

Hand-computed cases first, then random small sets against brute force: a
double loop for dominance, and a count of unit cells for the volume of
integer points.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optiform.pareto import hypervolume, non_dominated, reference_point, spread

MIN2 = ["minimize", "minimize"]


def test_non_dominated_by_hand() -> None:
    points = np.array([[1, 5], [2, 3], [3, 4], [2, 3], [4, 1]])
    # (3, 4) is worse than (2, 3) in both; the second (2, 3) repeats the first.
    assert non_dominated(points, MIN2).tolist() == [0, 1, 4]


def test_non_dominated_follows_each_column_sense() -> None:
    points = [[1, 5], [2, 3], [3, 4]]
    assert non_dominated(points, ["minimize", "maximize"]).tolist() == [0]
    assert non_dominated(points, ["maximize", "minimize"]).tolist() == [1, 2]
    assert non_dominated(points, ["maximize", "maximize"]).tolist() == [0, 2]


def test_non_dominated_of_nothing_and_of_equal_points() -> None:
    assert non_dominated(np.zeros((0, 2)), MIN2).tolist() == []
    assert non_dominated([[2, 2], [2, 2], [2, 2]], MIN2).tolist() == [0]


def test_hypervolume_by_hand() -> None:
    staircase = [[1, 3], [2, 2], [3, 1]]
    # widths 3, 2, 1 in the three unit bands of y below 4
    assert hypervolume(staircase, MIN2, [4, 4]) == pytest.approx(6)
    # two boxes of 3 overlapping in one unit square
    assert hypervolume([[3, 1], [1, 3]], ["maximize"] * 2, [0, 0]) == pytest.approx(5)
    assert hypervolume([[0, 0, 0]], ["minimize"] * 3, [2, 3, 4]) == pytest.approx(24)
    # boxes of 4 and 2 meeting in the unit cube [1, 2]^3
    assert hypervolume([[0, 0, 1], [1, 1, 0]], ["minimize"] * 3, [2, 2, 2]) == pytest.approx(5)
    assert hypervolume([[2.5]], ["maximize"], [1]) == pytest.approx(1.5)


def test_points_outside_the_reference_add_nothing() -> None:
    assert hypervolume([[5, 0], [4, 4]], MIN2, [4, 4]) == 0.0
    assert hypervolume([[5, 0], [1, 1]], MIN2, [4, 4]) == pytest.approx(9)
    assert hypervolume(np.zeros((0, 3)), ["minimize"] * 3, [1, 1, 1]) == 0.0


def test_reference_point_is_the_nadir_pushed_out_by_a_tenth_of_the_range() -> None:
    ref = reference_point([[1, 5], [3, 1]], MIN2)
    assert ref.tolist() == pytest.approx([3 + 0.2, 5 + 0.4])
    ref = reference_point([[10, 3], [0, 1]], ["maximize", "minimize"])
    assert ref.tolist() == pytest.approx([0 - 1, 3 + 0.2])


def test_reference_point_ignores_dominated_points_and_pushes_a_flat_range_by_one() -> None:
    # (3, 1) is dominated when the second column is maximised: the front is one point
    ref = reference_point([[1, 5], [3, 1]], ["minimize", "maximize"])
    assert ref.tolist() == pytest.approx([2, 4])


@pytest.mark.parametrize("call", [
    lambda: non_dominated([[1, 2]], ["minimize"]),
    lambda: non_dominated([[1, 2]], ["minimise", "maximize"]),
    lambda: non_dominated([1, 2], MIN2),
    lambda: non_dominated([[1, float("nan")]], MIN2),
    lambda: hypervolume([[1, 2]], MIN2, [3]),
    lambda: hypervolume([[1, 2]], MIN2, [3, float("inf")]),
    lambda: reference_point(np.zeros((0, 2)), MIN2),
], ids=["senses", "sense-name", "vector", "nan", "reference-size", "reference-inf", "empty"])
def test_malformed_input_is_a_value_error(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        call()


def test_spread() -> None:
    assert spread(0, 1, 3, whole=False) == [0.0, 0.5, 1.0]
    assert spread(95, 200, 4, whole=True) == [95.0, 130.0, 165.0, 200.0]
    assert spread(10, 7, 6, whole=True) == [10.0, 9.0, 8.0, 7.0]


def _brute_non_dominated(points: np.ndarray, senses: list[str]) -> list[int]:
    m = points * np.array([1 if s == "minimize" else -1 for s in senses])
    keep = []
    for i, p in enumerate(m):
        if any((m[j] == p).all() for j in range(i)):
            continue
        if not any((q <= p).all() and (q < p).any() for q in m):
            keep.append(i)
    return keep


def _brute_volume(points: np.ndarray, senses: list[str], reference: np.ndarray) -> int:
    """Unit cells of the integer grid dominated by a point and inside the reference."""
    sign = np.array([1 if s == "minimize" else -1 for s in senses])
    m, r = points * sign, reference * sign
    lo = m.min(axis=0)
    count = 0
    for cell in itertools.product(*(range(int(a), int(b)) for a, b in zip(lo, r, strict=True))):
        c = np.array(cell)
        if np.any(np.all(m <= c, axis=1)):
            count += 1
    return count


@pytest.mark.parametrize("dims", [2, 3, 4])
def test_against_brute_force_on_random_sets(dims: int) -> None:
    rng = np.random.default_rng(dims)
    for _ in range(40):
        n = int(rng.integers(1, 9))
        senses = [str(s) for s in rng.choice(["minimize", "maximize"], dims)]
        points = rng.integers(0, 6, size=(n, dims)).astype(float)
        assert non_dominated(points, senses).tolist() == _brute_non_dominated(points, senses)
        sign = np.array([1 if s == "minimize" else -1 for s in senses])
        reference = np.where(sign > 0, 6.0, -1.0)
        assert hypervolume(points, senses, reference) == pytest.approx(
            _brute_volume(points, senses, reference))
        # the volume is a property of the front: dominated points and repeats add nothing
        front = points[non_dominated(points, senses)]
        assert hypervolume(front, senses, reference) == pytest.approx(
            hypervolume(points, senses, reference))
        ref = reference_point(points, senses)
        assert np.all((front - ref) * sign < 0)  # every front point adds volume
