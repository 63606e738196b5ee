"""Self-play training: replay buffer, self-play records, the train command end to end, resume and refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.alphazero.checkpoint import load_checkpoint
from agents.alphazero.config import TrainConfig
from agents.alphazero.dataset import DatasetError, load_dataset
from agents.alphazero.replay import ReplayBuffer
from agents.alphazero.search import uniform_evaluate
from agents.alphazero.selfplay import play_games
from bttt.cli import main
from bttt.errors import BtttError

TINY_RUN = [
    "--net",
    "tiny",
    "--games-per-iteration",
    "6",
    "--parallel-games",
    "6",
    "--simulations",
    "6",
    "--train-steps",
    "3",
    "--min-replay",
    "8",
    "--batch-size",
    "16",
    "--eval-every",
    "2",
    "--eval-games",
    "1",
    "--eval-opponents",
    "random",
    "--eval-novel",
    "1",
    "--eval-simulations",
    "4",
    "--no-progress",
    "--seed",
    "5",
]


def test_replay_buffer_ring_and_state_dict():
    buf = ReplayBuffer(5, 3, 3)
    for start in (0, 3, 6):
        n = 3
        buf.add(
            np.zeros((n, 3, 3, 3), np.uint8) + np.arange(start, start + n)[:, None, None, None],
            np.ones((n, 9), bool),
            np.full((n, 9), 1 / 9, np.float32),
            np.arange(start, start + n, dtype=np.float32),
            np.zeros(n, np.int16),
        )
    assert len(buf) == 5 and buf.total_added == 9
    assert buf.contents()["value"].tolist() == [4, 5, 6, 7, 8]  # the newest five, oldest first
    again = ReplayBuffer.from_state_dict(buf.state_dict())
    for k, v in buf.contents().items():
        np.testing.assert_array_equal(again.contents()[k], v)
    planes, _masks, _policy, value = again.sample(32, np.random.default_rng(0))
    assert planes.dtype == np.float32 and set(value.tolist()) <= {4, 5, 6, 7, 8}
    np.testing.assert_array_equal(planes[:, 0, 0, 0], value)  # rows stay aligned


def test_selfplay_records_every_position_with_the_movers_outcome():
    cfg = TrainConfig(bricks="D3,D4", simulations=8, parallel_games=3, temperature_moves=4)
    res = play_games(uniform_evaluate, cfg, n_games=5, seed=1)
    assert res.games == 5 and res.p1_wins + res.p2_wins + res.draws == 5
    assert res.positions == res.plies
    np.testing.assert_allclose(res.policy.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(res.policy[~res.masks] == 0)
    assert set(np.unique(res.value)) <= {-1.0, 0.0, 1.0}
    assert set(res.layout.tolist()) <= {0, 1}
    # brick plane matches the recorded layout (D3 = 23, D4 = 24)
    brick_cells = res.planes[:, 2].reshape(len(res.planes), -1).argmax(axis=1)
    np.testing.assert_array_equal(brick_cells, np.where(res.layout == 0, 23, 24))
    # player to move alternates, so consecutive positions of a decisive game alternate outcomes
    again = play_games(uniform_evaluate, cfg, n_games=5, seed=1)
    np.testing.assert_array_equal(again.policy, res.policy)  # fully determined by the seed


def test_config_validation_and_opponent_parsing():
    cfg = TrainConfig(eval_opponents="random,mcts:preset=paper,iterations=50")
    assert cfg.opponents() == ["random", "mcts:preset=paper,iterations=50"]
    assert TrainConfig(eval_opponents="a;b:x=1,y=2").opponents() == ["a", "b:x=1,y=2"]
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(BtttError, match="simulations"):
        TrainConfig(simulations=0)
    with pytest.raises(BtttError):
        TrainConfig(bricks="Z9")
    with pytest.raises(BtttError, match="augment"):
        TrainConfig(augment="rot")


def _weights(path):
    return load_checkpoint(path).state_dict


def test_train_resume_matches_an_uninterrupted_run(tmp_path, capsys, az_device):
    straight, split = tmp_path / "straight", tmp_path / "split"
    on_device = ["--device", az_device, *TINY_RUN]
    assert main(["train", "--out", str(straight), "--iterations", "3", *on_device]) == 0
    assert main(["train", "--out", str(split), "--iterations", "2", *on_device]) == 0
    first = load_checkpoint(split / "checkpoint.pt")
    assert first.progress["iteration"] == 2 and first.progress["games"] == 12
    assert (
        main(
            [
                "train",
                "--resume",
                str(split / "checkpoint.pt"),
                "--iterations",
                "3",
                "--no-progress",
                "--export-dataset",
                str(tmp_path / "data.npz"),
            ]
        )
        == 0
    )
    a, b = load_checkpoint(straight / "checkpoint.pt"), load_checkpoint(split / "checkpoint.pt")
    for key in ("iteration", "games", "positions", "steps"):
        assert a.progress[key] == b.progress[key]
    assert a.progress["iteration"] == 3 and a.progress["steps"] == 9
    for k, v in a.state_dict.items():
        torch.testing.assert_close(b.state_dict[k], v, rtol=0, atol=0)
    assert b.training_bricks == "D4" and b.train_config["net"] == "tiny"
    assert b.extra["provenance"]["resumed"][0]["at_iteration"] == 2
    # logs: one metrics row per iteration, evaluation rows at iteration 2 only
    metrics = (split / "metrics.csv").read_text().strip().splitlines()
    assert len(metrics) == 4 and metrics[0].startswith("iteration,")
    evals = (split / "eval.csv").read_text().strip().splitlines()
    assert {line.split(",")[3] for line in evals[1:]} == {"train", "novel"}
    # the exported dataset is the replay buffer
    data = load_dataset(tmp_path / "data.npz")
    n = b.progress["positions"]
    assert data["planes"].shape == (n, 3, 7, 7) and data["policy"].shape == (n, 49)
    np.testing.assert_allclose(data["policy"].sum(axis=1), 1.0, rtol=1e-5)
    assert data["layouts"].tolist() == ["D4"] and np.all(data["planes"][:, 2, 3, 3] == 1)
    # final.pt is small and playable but not resumable
    final = load_checkpoint(split / "final.pt")
    assert "replay" not in final.extra and final.progress == b.progress
    capsys.readouterr()
    assert main(["train", "--resume", str(split / "final.pt"), "--iterations", "4"]) == 2
    assert "cannot be resumed" in capsys.readouterr().err


def test_train_refuses_corrupt_mismatched_or_existing_checkpoints(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--iterations", "1", *TINY_RUN]) == 0
    capsys.readouterr()
    # rerunning the same command resumes the run (here: already finished, so nothing more is trained)
    assert main(["train", "--out", str(run), "--iterations", "1", *TINY_RUN]) == 0
    assert "resuming at iteration 1" in capsys.readouterr().out
    # an existing run is never overwritten by another one
    assert main(["train", "--out", str(run), "--iterations", "1", *TINY_RUN, "--bricks", "D3"]) == 2
    assert "--restart" in capsys.readouterr().err
    # other settings than the checkpoint's
    assert main(["train", "--resume", str(run), "--iterations", "2", "--bricks", "D3"]) == 2
    err = capsys.readouterr().err
    assert "--bricks 'D3' (checkpoint: 'D4')" in err
    # warm start from another run's weights: the architecture must match
    ckpt = run / "checkpoint.pt"
    args = ["train", "--iterations", "1", *TINY_RUN, "--init-from", str(ckpt), "--train-steps", "0"]
    assert main([*args, "--out", str(tmp_path / "warm")]) == 0
    warm = load_checkpoint(tmp_path / "warm" / "checkpoint.pt")
    for k, v in load_checkpoint(ckpt).state_dict.items():
        if "running" not in k and "num_batches" not in k:  # no gradient step: weights are the source's
            torch.testing.assert_close(warm.state_dict[k], v)
    assert warm.train_config["init_from"] == str(ckpt)
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "warm2"), "--net", "small"]) == 2
    assert "differs" in capsys.readouterr().err
    # a truncated file
    ckpt.write_bytes(ckpt.read_bytes()[:1000])
    assert main(["train", "--resume", str(ckpt), "--iterations", "2"]) == 2
    err = capsys.readouterr().err
    assert "corrupt" in err and "Traceback" not in err
    # garbage
    ckpt.write_bytes(b"not a checkpoint at all")
    assert main(["train", "--resume", str(run), "--iterations", "2"]) == 2
    assert "cannot read checkpoint" in capsys.readouterr().err
    with pytest.raises(DatasetError, match="no dataset"):
        load_dataset(tmp_path / "missing.npz")


def test_checkpoints_move_between_devices(tmp_path, az_device):
    """Two iterations on the test device, the third resumed on the CPU (``BTTT_TEST_DEVICE=cuda``: GPU -> CPU)."""
    run = tmp_path / "moved"
    assert main(["train", "--out", str(run), "--iterations", "2", "--device", az_device, *TINY_RUN]) == 0
    assert load_checkpoint(run / "checkpoint.pt").train_config["device"] == az_device
    resume = ["train", "--resume", str(run / "checkpoint.pt"), "--iterations", "3", "--device", "cpu", "--no-progress"]
    assert main(resume) == 0
    moved = load_checkpoint(run / "checkpoint.pt")
    assert moved.progress["iteration"] == 3 and moved.train_config["device"] == "cpu"
    assert moved.extra["provenance"]["resumed"][0]["at_iteration"] == 2
    assert all(v.device.type == "cpu" for v in moved.state_dict.values())
    state = moved.extra["optimizer"]["state"]
    assert state and all(t.device.type == "cpu" for s in state.values() for t in s.values() if torch.is_tensor(t))


@pytest.mark.slow
def test_two_workers_generate_the_iterations_games(tmp_path):
    run = tmp_path / "w2"
    assert (
        main(["train", "--out", str(run), "--iterations", "1", "--workers", "2", "--eval-every", "0", *TINY_RUN]) == 0
    )
    ckpt = load_checkpoint(run / "checkpoint.pt")
    assert ckpt.progress["games"] == 6 and ckpt.progress["positions"] > 6 * 6


def test_evaluation_layouts_and_a_match_against_random():
    from agents.alphazero.evaluation import eval_layouts, play_match, summarise
    from agents.alphazero.search import SearchConfig
    from bttt.cells import cell_name

    def names(cfg):
        return [(cell_name(e.layout[0]), e.group) for e in eval_layouts(cfg)]

    assert names(TrainConfig(bricks="D4", eval_novel=2)) == [("D4", "train"), ("C4", "novel"), ("B4", "novel")]
    # with the paper's flips R2 also sees D5, so the D3 orbit (C4, D3, D5, E4) is not novel
    assert names(TrainConfig(bricks="D3,D4", augment="paper", eval_novel=2)) == [
        ("D3", "train"),
        ("D4", "train"),
        ("B4", "novel"),
        ("C3", "novel"),
    ]
    wide = eval_layouts(TrainConfig(bricks="random"))
    assert len(wide) == 10 and {e.group for e in wide} == {"train"}  # one cell per orbit, nothing novel
    layouts = eval_layouts(TrainConfig(bricks="D4", eval_novel=1))
    games = play_match(uniform_evaluate, SearchConfig(simulations=30), "random", layouts, 2, 7, 7, 4, seed=3)
    assert len(games) == 2 * 2 * 2 and all(0 <= g["score"] <= 1 for g in games)
    rows = summarise(games)
    assert {(r["group"], r["colour"]) for r in rows} == {("train", 1), ("train", 2), ("novel", 1), ("novel", 2)}
    assert all(r["wins"] + r["draws"] + r["losses"] == r["games"] == 2 for r in rows)
    # a 30-simulation search with the win check beats a random mover nearly always
    assert np.mean([g["score"] for g in games]) >= 0.75


@pytest.mark.slow
def test_ray_backend_plays_the_same_games_as_local_workers(tmp_path):
    runs = {}
    for backend in ("local", "ray"):
        run = tmp_path / backend
        assert (
            main(
                [
                    "train",
                    "--out",
                    str(run),
                    "--iterations",
                    "1",
                    "--workers",
                    "2",
                    "--backend",
                    backend,
                    "--eval-every",
                    "0",
                    *TINY_RUN,
                ]
            )
            == 0
        )
        runs[backend] = load_checkpoint(run / "checkpoint.pt")
    local, ray_run = runs["local"], runs["ray"]
    assert local.progress["positions"] == ray_run.progress["positions"]
    for k, v in local.state_dict.items():  # same games -> same replay buffer -> same SGD steps
        torch.testing.assert_close(ray_run.state_dict[k], v, rtol=0, atol=0)
    assert ray_run.train_config["backend"] == "ray"
