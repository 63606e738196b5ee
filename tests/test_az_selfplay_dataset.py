"""``bttt selfplay``: a trained network's self-play games as a dataset; seeded, resumable, worker-independent."""

from __future__ import annotations

import numpy as np
import pytest

from agents.alphazero.agent import resolve_checkpoint
from agents.alphazero.dataset import (
    ARRAYS,
    JOB_GAMES,
    DatasetError,
    generate_dataset,
    load_dataset,
    load_datasets,
)
from bttt.cli import main

FAST = {"simulations": 4, "parallel_games": 16}


class _Stop(Exception):
    pass


def _same(a: dict, b: dict) -> None:
    for k in ARRAYS:
        np.testing.assert_array_equal(a[k], b[k])


def test_generated_dataset_is_seeded_and_resumes_after_an_interruption(tmp_path):
    d4 = resolve_checkpoint("d4")
    whole = tmp_path / "whole.npz"
    n = generate_dataset(d4, whole, 2 * JOB_GAMES, seed=3, chunk_games=JOB_GAMES, log=lambda _: None, **FAST)
    data = load_dataset(whole)
    assert len(data["value"]) == n and n >= 2 * JOB_GAMES * 7  # a win needs at least 7 plies
    assert data["layouts"].tolist() == ["D4"] and np.all(data["planes"][:, 2, 3, 3] == 1)
    np.testing.assert_allclose(data["policy"].sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(data["policy"][~data["masks"]] == 0)  # search policies only on legal moves
    assert set(np.unique(data["value"])) <= {-1.0, 0.0, 1.0}
    assert not (whole.parent / "whole.npz.parts").exists()  # chunks are removed once merged

    # interrupted after the first chunk: the rerun plays only the second and gives the same file
    cut = tmp_path / "cut.npz"

    def stop(_line: str) -> None:
        raise _Stop

    with pytest.raises(_Stop):
        generate_dataset(d4, cut, 2 * JOB_GAMES, seed=3, chunk_games=JOB_GAMES, log=stop, **FAST)
    assert len(list((tmp_path / "cut.npz.parts").glob("chunk-*.npz"))) == 1
    lines: list[str] = []
    generate_dataset(d4, cut, 2 * JOB_GAMES, seed=3, chunk_games=JOB_GAMES, log=lines.append, **FAST)
    assert len(lines) == 1 and lines[0].startswith("chunk 1:")
    _same(load_dataset(cut), data)

    # another seed gives other games; a half-finished run with other arguments is refused, not mixed
    other = tmp_path / "other.npz"
    generate_dataset(d4, other, JOB_GAMES, seed=4, chunk_games=JOB_GAMES, log=lambda _: None, **FAST)
    assert not np.array_equal(load_dataset(other)["policy"][:50], data["policy"][:50])
    both = load_datasets([whole, other])
    assert len(both["value"]) == n + len(load_dataset(other)["value"])
    np.testing.assert_array_equal(both["planes"][:n], data["planes"])
    # files of other brick distributions merge by layout name: every brick plane still matches its layout
    d3 = tmp_path / "d3.npz"
    generate_dataset(d4, d3, JOB_GAMES, chunk_games=JOB_GAMES, log=lambda _: None, bricks="D3,D5", **FAST)
    mixed = load_datasets([whole, d3])
    assert mixed["layouts"].tolist() == ["D4", "D3", "D5"] and str(mixed["bricks"]) == "D4,D3,D5"
    brick_cell = mixed["planes"][:, 2].reshape(len(mixed["value"]), 49).argmax(1)
    np.testing.assert_array_equal(brick_cell, np.array([24, 23, 25])[mixed["layout"]])
    assert set(mixed["layout"][n:].tolist()) == {1, 2}
    with pytest.raises(_Stop):
        generate_dataset(d4, cut, 2 * JOB_GAMES, seed=3, chunk_games=JOB_GAMES, log=stop, **FAST)
    with pytest.raises(DatasetError, match="different run"):
        generate_dataset(d4, cut, 2 * JOB_GAMES, seed=9, chunk_games=JOB_GAMES, log=stop, **FAST)


@pytest.mark.slow
def test_selfplay_command_with_two_workers_writes_the_same_games(tmp_path, capsys):
    d4 = resolve_checkpoint("d4")
    one = tmp_path / "one.npz"
    generate_dataset(d4, one, 2 * JOB_GAMES, seed=0, log=lambda _: None, bricks="D3", **FAST)
    two = tmp_path / "two.npz"
    assert (
        main(
            [
                "selfplay",
                "d4",
                "--out",
                str(two),
                "--games",
                str(2 * JOB_GAMES),
                "--bricks",
                "D3",
                "--simulations",
                "4",
                "--parallel-games",
                "16",
                "--workers",
                "2",
            ]
        )
        == 0
    )
    assert f"to {two}" in capsys.readouterr().out
    _same(load_dataset(two), load_dataset(one))
    assert load_dataset(two)["layouts"].tolist() == ["D3"]


def test_selfplay_command_reports_bad_input(tmp_path, capsys):
    assert main(["selfplay", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "x.npz")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["selfplay", "d4", "--out", str(tmp_path / "x.npz"), "--games", "0"]) == 2
    assert "games" in capsys.readouterr().err
    assert main(["selfplay", "d4", "--out", str(tmp_path / "x.npz"), "--bricks", "Z9"]) == 2
    assert "Z9" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change, fragment",
    [  # the first two were internal errors found by the fuzz test
        (lambda d: {**d, "value": np.array(0.5, np.float32)}, "one value per position"),
        (lambda d: {**d, "planes": d["planes"].astype("S1")}, "planes must hold only 0 and 1"),
        (lambda d: {**d, "masks": d["masks"].astype(np.float32) * 2}, "masks must hold only 0 and 1"),
        (lambda d: {**d, "layouts": np.zeros(2)}, "layouts must be a list"),
    ],
)
def test_a_damaged_dataset_array_is_a_dataset_error(tmp_path, change, fragment):
    from hostile import write_tiny_dataset

    good = tmp_path / "good.npz"
    write_tiny_dataset(good, games=2)
    with np.load(good, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    np.savez(tmp_path / "bad.npz", **change(arrays))
    with pytest.raises(DatasetError, match=fragment):
        load_dataset(tmp_path / "bad.npz")
