"""Symmetry augmentation: which transforms each mode allows, and that boards, masks and policies move together."""

from __future__ import annotations

import numpy as np
import pytest

from agents.alphazero.augment import (
    allowed_transforms,
    apply_transforms,
    augmented_cells,
    sample_transforms,
)
from bttt import GameState, Rules, symmetry
from bttt.cells import parse_cells
from bttt.errors import BtttError
from bttt.layouts import BrickDistribution

ALL8 = tuple(range(8))


def cells(text: str) -> tuple[int, ...]:
    return tuple(sorted(parse_cells(text)))


def test_auto_mode_keeps_layouts_inside_the_distribution():
    assert allowed_transforms(BrickDistribution.parse("D4")) == (ALL8,)
    r2 = allowed_transforms(BrickDistribution.parse("D3,D4"))
    assert r2 == ((symmetry.IDENTITY, symmetry.FLIP_UD), ALL8)  # D3 may only be mirrored up/down
    # a transform that maps one layout onto *another* layout of the distribution is allowed too
    pair = allowed_transforms(BrickDistribution.parse("D3,D5"))
    assert symmetry.FLIP_LR in pair[0] and symmetry.FLIP_LR in pair[1]
    assert allowed_transforms(BrickDistribution.parse("random"))[5] == ALL8
    assert augmented_cells(BrickDistribution.parse("D3,D4")) == cells("D3,D4")
    assert augmented_cells(BrickDistribution.parse("C3,D3,D4")) == cells("C3,D3,D4")


def test_paper_and_none_modes():
    r2 = BrickDistribution.parse("D3,D4")
    assert allowed_transforms(r2, "paper") == (symmetry.PAPER_FLIPS, symmetry.PAPER_FLIPS)
    assert allowed_transforms(r2, "none") == ((0,), (0,))
    # the paper's flips move an off-centre brick: R2 saw D3, D4, D5 and R3 seven cells
    assert augmented_cells(r2, "paper") == cells("D3,D4,D5")
    assert augmented_cells(BrickDistribution.parse("C3,D3,D4"), "paper") == cells("C3,C5,D3,D4,D5,E3,E5")
    with pytest.raises(BtttError, match="augment mode"):
        allowed_transforms(r2, "rotations")


def _random_state(rng: np.random.Generator, bricks: str, plies: int) -> GameState:
    state = GameState(Rules(bricks=bricks))
    for _ in range(plies):
        if state.is_terminal():
            break
        legal = state.legal_actions()
        state.apply_action(legal[int(rng.integers(len(legal)))])
    return state


@pytest.mark.parametrize("bricks", ["D4", "C3", "B6"])
def test_transforms_move_planes_masks_and_policies_consistently(bricks):
    rng = np.random.default_rng(3)
    states = [_random_state(rng, bricks, int(rng.integers(0, 15))) for _ in range(8)]
    states = [s for s in states if not s.is_terminal()]
    planes = np.stack([s.observation() for s in states])
    masks = np.stack([s.legal_mask() for s in states])
    policy = rng.random(masks.shape).astype(np.float32) * masks
    policy /= policy.sum(axis=1, keepdims=True)
    for t in range(8):
        tids = np.full(len(states), t)
        tp, tm, tpol = apply_transforms(tids, planes, masks, policy)
        perm = symmetry.permutation(t)
        for i, s in enumerate(states):
            image = symmetry.transform_state(t, s)
            np.testing.assert_array_equal(tp[i], image.observation())  # board, stones and brick moved
            np.testing.assert_array_equal(tm[i], image.legal_mask())  # mask = legal mask of the image
            assert int(tpol[i].argmax()) == int(perm[int(policy[i].argmax())])  # policy follows the board
            assert tpol[i].sum() == pytest.approx(1.0)
            assert np.all(tpol[i][~tm[i]] == 0)


def test_mixed_transforms_in_one_batch_and_sampling():
    rng = np.random.default_rng(0)
    s = _random_state(rng, "D4", 6)
    planes = np.stack([s.observation()] * 8)
    masks = np.stack([s.legal_mask()] * 8)
    tp, tm = apply_transforms(np.arange(8), planes, masks)
    for t in range(8):
        np.testing.assert_array_equal(tp[t], symmetry.transform_planes(t, planes[t]))
        np.testing.assert_array_equal(tm[t], symmetry.transform_vector(t, masks[t]))
    table = allowed_transforms(BrickDistribution.parse("D3,D4"))
    layout_ids = np.array([0] * 500 + [1] * 500)
    drawn = sample_transforms(layout_ids, table, rng)
    assert set(drawn[:500]) == {symmetry.IDENTITY, symmetry.FLIP_UD}
    assert set(drawn[500:]) == set(ALL8)
