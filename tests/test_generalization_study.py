"""The statistics of the generalization study (scripts/generalization_tables.py) on hand-built pairs."""

from __future__ import annotations

import numpy as np
from script_modules import load_script_module

tables = load_script_module("generalization_tables")
scales = load_script_module("generalization_scales")
LAYOUTS = tables.LAYOUTS


def _pairs(rows, training=None) -> object:
    agent, opp, layout, key, score = zip(*rows, strict=True)
    return tables.Pairs(
        np.array(agent),
        np.array(opp),
        np.array([LAYOUTS.index(x) for x in layout], dtype=np.int64),
        np.array(key),
        np.array(score, dtype=float),
        training or {},
    )


def test_matched_pairs_join_on_opponent_cell_and_opening():
    p = _pairs(
        [
            ("x", "o1", "A1", "k1", 1.0),
            ("y", "o1", "A1", "k1", 0.25),
            ("x", "o1", "A1", "k2", 0.5),  # y did not play k2: left out
            ("x", "o2", "A1", "k1", 0.0),
            ("y", "o2", "A1", "k1", 0.5),
            ("y", "o1", "B2", "k1", 1.0),  # x did not play B2
        ]
    )
    cells, diff = tables.matched(p, "x", "y", ("o1", "o2"))
    assert sorted(diff.tolist()) == [-0.5, 0.75]
    assert set(cells.tolist()) == {LAYOUTS.index("A1")}
    _, only_o1 = tables.matched(p, "x", "y", ("o1",))
    assert only_o1.tolist() == [0.75]


def test_gap_estimate_recovers_a_known_gap_and_its_power():
    rng = np.random.default_rng(0)
    train = tables.train_mask({"D4"})
    cells, scores = [], []
    for c, name in enumerate(LAYOUTS):
        mean = 0.8 if name == "D4" else 0.5 + 0.1 * rng.standard_normal()
        n = 64 if name == "D4" else 4
        cells += [c] * n
        scores += list(np.clip(mean + 0.2 * rng.standard_normal(n), 0, 1))
    cells, scores = np.array(cells), np.array(scores)
    est = tables.gap_estimate(cells, scores, train, 2000, 1)
    assert est.gap.low < est.gap.value < est.gap.high
    assert est.gap.low > 0.15 and est.gap.high < 0.45  # the true gap is 0.3
    assert est.p < 0.01  # the p-value that the page's Holm correction uses agrees with the interval
    se = (est.gap.high - est.gap.low) / (2 * 1.96)
    assert abs(est.detectable - 2.8 * se) < 0.35 * est.detectable  # power formula ~ bootstrap spread


def test_gap_estimate_is_zero_width_without_any_variation():
    train = tables.train_mask({"D4"})
    cells = np.repeat(np.arange(49), 2)
    est = tables.gap_estimate(cells, np.full(len(cells), 0.5), train, 200, 0)
    assert (est.gap.value, est.gap.low, est.gap.high, est.detectable) == (0.0, 0.0, 0.0, 0.0)
    assert est.p == 1.0


def test_training_cells_are_resampled_within_cells_not_as_two_clusters():
    # Two training cells with identical means but noisy pairs: drawing 1 of the 2 cells (a cluster bootstrap)
    # would give a zero-width training interval; resampling pairs within them does not.
    train = tables.train_mask({"D3", "D4"})
    rows = []
    for c in ("D3", "D4"):
        rows += [c] * 8
    scores = [0.0, 1.0] * 8
    novel = [x for x in LAYOUTS if x not in ("D3", "D4")]
    for c in novel:
        rows += [c] * 2
        scores += [0.5, 0.5]
    cells = np.array([LAYOUTS.index(x) for x in rows])
    est = tables.gap_estimate(cells, np.array(scores), train, 500, 0)
    assert est.train.value == 0.5
    assert est.train.high - est.train.low > 0.2


def test_quality_rows_split_moves_at_the_training_cells_and_count_the_undecided():
    from bttt.solver.values import Bounds
    from tournament.analysis import MoveVerdict

    def v(gid, agent, layout, verdict):
        blunder = None if verdict == "undecided" else verdict == "blunder"
        return MoveVerdict(gid, 4, 1, agent, layout, Bounds(0, 0), Bounds(0, 0), verdict, blunder, 1, 0.0)

    verdicts = []
    for gid, (layout, verdict) in enumerate(
        [("D4", "optimal")] * 6
        + [("D4", "blunder")] * 2
        + [("A1", "optimal"), ("A1", "blunder")] * 3
        + [("B2", "optimal"), ("B2", "undecided")] * 3
    ):
        verdicts.append(v(gid, "stored-a", layout, verdict))
    rows = scales.quality_rows(verdicts, {"stored-a": "net"}, {"net": {"D4"}}, ["other", "net"], 500)
    (row,) = rows
    assert row["agent"] == "net" and row["moves"] == 20 and row["undecided"] == 3
    assert row["optimal, train"] == "0.750" and row["optimal, novel"] == f"{6 / 9:.3f}"
    assert row["blunders, train"] == "0.250" and row["blunders, novel"] == f"{3 / 9:.3f}"
    assert row["train minus novel"].startswith(f"{0.75 - 6 / 9:.3f} [")
    assert 0 < float(row["p"]) <= 1 and float(row["detectable"]) > 0


def test_normalised_scores_put_random_at_0_and_perfect_at_1_per_opponent_and_cell():
    rows = []
    for cell in ("D4", "A1", "B2"):
        for o, (r, q) in (("o1", (0.0, 1.0)), ("o2", (0.25, 0.75))):
            for k in ("k1", "k2"):
                rows += [("random", o, cell, k, r), ("perfect", o, cell, k, q)]
                # net: halfway on its training cell D4, at random play's level elsewhere
                rows.append(("net", o, cell, k, (r + q) / 2 if cell == "D4" else r))
    rows.append(("net", "o1", "C3", "k1", 0.5))  # no ends on C3: left out
    p = _pairs(rows, {"net": {"D4"}})
    ends = scales.reference_scores(p, "random", "perfect", ("o1", "o2"))
    assert ends["o2"][:, LAYOUTS.index("A1")].tolist() == [0.25, 0.75]
    row = scales.normalised_row(p, "net", ("o1", "o2"), ends, 200)
    assert row["pairs"] == 12 and row["left out"] == 1
    assert row["train, normalised"].startswith("0.500") and row["novel, normalised"].startswith("0.000")
    assert row["gap"].startswith("0.500")
    assert scales.normalised_row(p, "perfect", ("o1",), ends, 200)["gap"].startswith("0.000")  # split at D4
    assert scales.normalised_row(p, "nobody", ("o1",), ends, 200) is None


def test_run_steps_are_a_t_interval_over_runs():
    rows = tables.run_steps({"a": [0.1, 0.3], "b": [0.2, 0.2, 0.2], "c": [0.5], "d": [-0.1, 0.1, 0.0]})
    by = {r["step"]: r for r in rows}
    assert set(by) == {"a", "b", "d"}  # one run is not a sample of runs
    # two runs: mean 0.2, se 0.1, t(0.975, 1) = 12.706
    assert by["a"]["mean over runs"] == "0.200 [-1.071, 1.471]"
    assert by["a"]["decided"] == "not decided" and by["a"]["same sign in every run"] == "yes"
    assert abs(float(by["a"]["p"]) - 0.2952) < 1e-3  # 2 * P(t_1 > 2)
    assert by["b"]["decided"] == "yes" and by["b"]["p"] == "0.0000"  # no spread at all between the runs
    assert by["d"]["mean over runs"] == "0.000 [-0.248, 0.248]" and by["d"]["same sign in every run"] == "no"
    assert by["d"]["p"] == "1.0000"
