"""``bttt play`` and ``bttt agents`` through the command-line shell."""

from __future__ import annotations

import builtins

from bttt.cli import main


def _feed(monkeypatch, lines):
    queue = list(lines)
    prompts = []

    def fake_input(prompt=""):
        prompts.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    return prompts


def test_human_against_minimax_with_bad_input(monkeypatch, capsys):
    # 3x3, 3 in a row, no brick: the human plays the corners-and-centre trap badly but legally.
    prompts = _feed(monkeypatch, ["", "Z9", "b2", "B2", "moves", "A1", "C3", "A3", "C1", "A2", "C2", "B1", "B3"])
    rc = main(
        [
            "play",
            "--p1",
            "human",
            "--p2",
            "minimax:preset=paper",
            "--rows",
            "3",
            "--cols",
            "3",
            "--win",
            "3",
            "--brick",
            "none",
            "--seed",
            "4",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "Please type a cell name" in out
    assert "row 'Z' in 'Z9' is off the board" in out
    assert "the cell is already taken by O" in out
    assert "Free cells:" in out
    assert "1. O plays B2" in out
    assert out.count("A|") >= 3  # the board is drawn after every move
    assert ("wins after" in out) or ("Draw" in out)
    assert prompts and prompts[0].startswith("O to move")


def test_two_programs_play_a_seeded_game(capsys):
    args = ["play", "--p1", "mcts:iterations=200", "--p2", "minimax:depth=2", "--brick", "E5", "--seed", "9"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "bricks: E5" in first and ("wins after" in first or "Draw" in first)
    assert main(args) == 0
    second = capsys.readouterr().out
    strip = [line for line in first.splitlines() if " ms)" not in line]
    assert strip == [line for line in second.splitlines() if " ms)" not in line]


def test_quit_ends_the_game_and_unknown_specs_exit_2(monkeypatch, capsys):
    _feed(monkeypatch, ["quit"])
    assert main(["play", "--p1", "human", "--p2", "random", "--seed", "1"]) == 0  # quitting is no error
    assert "abandoned" in capsys.readouterr().out
    assert main(["play", "--p1", "nosuch", "--p2", "random"]) == 2
    err = capsys.readouterr().err
    assert "unknown agent 'nosuch'" in err and "minimax" in err
    assert main(["play", "--p1", "mcts:iterations=x", "--p2", "random"]) == 2
    assert "not a valid int" in capsys.readouterr().err


def test_agents_command_lists_parameters(capsys):
    assert main(["agents"]) == 0
    out = capsys.readouterr().out
    for text in (
        "minimax:",
        "depth=4",
        "mcts:",
        "iterations=1000",
        "leaf=rollout",
        "rollout|heuristic",
        "preset paper: iterations=2500,c=1.0,leaf=heuristic",
        "random:",
        "human:",
    ):
        assert text in out
    assert main(["agents", "nosuch"]) == 2
