"""The engine replays the 300 games of the original BTTT code ply by ply."""

from __future__ import annotations

from test_engine_oracle import replay

from bttt import GameState, Rules


def test_reference_file_has_300_games(original_games):
    assert len(original_games) == 300
    assert {g["result"] for g in original_games} <= {-1, 0, 1}


def test_replay_every_original_game(original_games):
    for n, game in enumerate(original_games):
        rules = Rules(bricks=game["brick_index"])
        assert rules.name(game["brick_index"]) == game["brick"]
        state = GameState(rules)
        moves = game["moves"]
        assert len(moves) == game["plies"]
        assert [rules.name(m) for m in moves] == game["move_names"]
        for ply, move in enumerate(moves):
            where = f"game {n} ({game['brick']}) ply {ply + 1} {game['move_names'][ply]}"
            assert not state.is_terminal(), f"{where}: engine ended the game early"
            assert state.is_legal(move), f"{where}: engine says the original's move is illegal"
            assert move in state.legal_actions(), where
            assert state.to_move == 1 + ply % 2, where
            state.apply_action(move)
        assert state.is_terminal(), f"game {n}: the original ended it after {len(moves)} plies, the engine did not"
        expected_winner = {1: 1, -1: 2, 0: 0}[game["result"]]
        assert state.winner == expected_winner, f"game {n}: result {state.winner} vs {game['result']}"
        assert state.returns() == (float(game["result"]), float(-game["result"])), f"game {n}"
        if game["result"] == 0:
            assert state.legal_actions() == [] and len(moves) == 48, f"game {n}: a draw fills the board"


def test_reference_games_agree_with_the_slow_oracle(original_games):
    for n, game in enumerate(original_games[:60]):
        board, winner, full = replay(7, 7, 4, [game["brick_index"]], game["moves"])
        expected = {1: 1, -1: 2, 0: 0}[game["result"]]
        assert winner == expected, f"game {n}"
        assert winner or full, f"game {n}: a drawn game must fill the board"
        stones = sum(v in (1, 2) for row in board for v in row)
        assert stones == len(game["moves"]), f"game {n}: the oracle saw a line before the last ply"


def test_numba_playout_reaches_the_reference_results(original_games):
    """A numba playout restricted to the original's last move must end with the original's result."""
    import numpy as np

    from bttt import kernels

    for n, game in enumerate(original_games):
        rules = Rules(bricks=game["brick_index"])
        state = GameState.from_moves(rules, game["moves"][:-1])
        only = (state.p1 | state.p2) | (1 << game["moves"][-1])  # the one playable empty cell
        t = rules.tables
        counts = kernels.random_playouts(
            np.uint64(state.p1),
            np.uint64(state.p2),
            state.to_move,
            t._replace(full=np.uint64(only)),
            kernels.make_rng(n),
            2,
        )
        status = {1: kernels.P1_WIN, -1: kernels.P2_WIN, 0: kernels.DRAW}[game["result"]]
        assert counts[status] == 2 and counts[4] == 2, f"game {n}: {counts}"
