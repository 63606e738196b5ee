"""A deliberately slow, independent pure-Python referee, and tests that it is right.

The engine uses bitmask windows and a numba core; this oracle scans the board cell
by cell in every direction on a plain list of lists, sharing no code with it, so
the engine tests can compare the two.
"""

from __future__ import annotations

EMPTY, P1, P2, B = 0, 1, 2, 3


def empty_board(rows: int, cols: int, bricks=()) -> list[list[int]]:
    board = [[EMPTY] * cols for _ in range(rows)]
    for cell in bricks:
        board[cell // cols][cell % cols] = B
    return board


def slow_winner(board: list[list[int]], k: int) -> int:
    """1 or 2 if that player has ``k`` in a row (no brick inside), else 0 (both: -1)."""
    rows, cols = len(board), len(board[0])
    found = set()
    for r in range(rows):
        for c in range(cols):
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                cells = [(r + dr * i, c + dc * i) for i in range(k)]
                if not all(0 <= rr < rows and 0 <= cc < cols for rr, cc in cells):
                    continue
                values = {board[rr][cc] for rr, cc in cells}
                if len(values) == 1 and values.pop() in (P1, P2):
                    found.add(board[r][c])
    if len(found) > 1:
        return -1
    return found.pop() if found else 0


def slow_full(board: list[list[int]]) -> bool:
    return all(v != EMPTY for row in board for v in row)


def replay(rows: int, cols: int, k: int, bricks, moves) -> tuple[list[list[int]], int, bool]:
    """Play ``moves`` (stopping at the first line); return (board, winner, full)."""
    board = empty_board(rows, cols, bricks)
    player = P1
    for m in moves:
        r, c = divmod(m, cols)
        assert board[r][c] == EMPTY, f"oracle: move {m} is illegal"
        board[r][c] = player
        w = slow_winner(board, k)
        if w:
            return board, w, slow_full(board)
        player = P2 if player == P1 else P1
    return board, 0, slow_full(board)


# ------------------------------------------------------------------- self-tests
def test_oracle_sees_every_direction():
    for cells, k in (([0, 1, 2, 3], 4), ([0, 7, 14, 21], 4), ([0, 8, 16, 24], 4), ([6, 12, 18, 24], 4)):
        board = empty_board(7, 7)
        for c in cells:
            board[c // 7][c % 7] = P2
        assert slow_winner(board, k) == P2
        board[cells[2] // 7][cells[2] % 7] = B
        assert slow_winner(board, k) == 0


def test_oracle_needs_k_in_a_row():
    board = empty_board(7, 7)
    for c in (0, 1, 2, 4):
        board[0][c] = P1
    assert slow_winner(board, 4) == 0
    assert slow_winner(board, 3) == P1
    assert not slow_full(board)
