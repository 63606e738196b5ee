"""The game state shared by search, environments and tournaments.

OpenSpiel-style: ``legal_actions``, ``apply_action``, ``is_terminal``, ``returns``,
``clone``. Stones live in two Python-int bitboards (bit ``c`` = cell ``c``).

The searches place stones with :func:`bttt.kernels.play_cell`; this object is their Python front, and its
:meth:`GameState.apply_action` tests the same live windows (:attr:`bttt.Rules.cell_win_masks`, derived from the
kernels' tables) in Python, because one call into numba from Python (about 3.6 us) costs more than the whole
Python step (about 1.5 us). ``tests/test_kernels.py`` checks that both agree with an independent line checker.
"""

from __future__ import annotations

import re

import numpy as np

from bttt import kernels
from bttt.cells import parse_cell, parse_cells
from bttt.errors import BtttError, IllegalMoveError, SerializationError
from bttt.kernels import DRAW, ONGOING, P1_WIN, P2_WIN
from bttt.layouts import layout_name
from bttt.rules import Rules

EMPTY, P1, P2, BRICK = 0, 1, 2, 3
_STATUS_WINNER = {ONGOING: 0, P1_WIN: 1, P2_WIN: 2, DRAW: 0}
_SERIAL_RE = re.compile(r"^(\d)x(\d)k(\d) b:([^ ]*) m:([^ ]*)$")


def _bits(x: int, n: int) -> np.ndarray:
    """uint8 array of the low ``n`` bits of ``x`` (bit ``c`` at index ``c``), a fresh array."""
    return np.unpackbits(np.frombuffer(x.to_bytes(8, "little"), dtype=np.uint8), count=n, bitorder="little")


def _planes(a: int, b: int, c: int, n: int) -> np.ndarray:
    """uint8 array (3, n): the low ``n`` bits of ``a``, ``b`` and ``c`` (one unpack for all three)."""
    raw = (a | b << 64 | c << 128).to_bytes(24, "little")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little").reshape(3, 64)[:, :n]


_CODES = np.array([P1, P2, BRICK], dtype=np.uint8)  # board() = codes @ bit planes


class GameState:
    """A position plus its history.

    Players are numbered 1 (O, moves first) and 2 (X). Actions are cell indices.
    """

    __slots__ = ("_status", "history", "p1", "p2", "rules", "to_move")

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules if rules is not None else Rules()
        self.p1 = 0  # bitboard of player 1's stones
        self.p2 = 0  # bitboard of player 2's stones
        self.to_move = 1
        self.history: list[int] = []
        self._status = ONGOING

    # ---------------------------------------------------------------- queries
    @property
    def current_player(self) -> int:
        """1 or 2: the player to move (meaningless once the game is over)."""
        return self.to_move

    @property
    def occupied(self) -> int:
        return self.p1 | self.p2 | self.rules.brick_mask

    @property
    def empty_mask(self) -> int:
        """Bitboard of the legal moves (0 once the game is over)."""
        if self._status != ONGOING:
            return 0
        return self.rules.full_mask & ~(self.p1 | self.p2)

    def legal_actions(self) -> list[int]:
        """Legal moves in ascending cell order (empty once the game is over)."""
        free = self.empty_mask
        if free.bit_count() > 24:  # many moves: one numpy unpack beats the bit loop
            return np.flatnonzero(_bits(free, self.rules.n_cells)).tolist()
        out = []
        while free:
            low = free & -free
            out.append(low.bit_length() - 1)
            free ^= low
        return out

    def legal_mask(self) -> np.ndarray:
        """Boolean array over all cells, True where a move is legal."""
        return _bits(self.empty_mask, self.rules.n_cells).view(bool)

    def is_legal(self, action: int) -> bool:
        return 0 <= action < self.rules.n_cells and bool(self.empty_mask >> action & 1)

    def is_terminal(self) -> bool:
        return self._status != ONGOING

    @property
    def winner(self) -> int:
        """1 or 2 for a won game, 0 for a draw or a game still in progress."""
        return _STATUS_WINNER[self._status]

    @property
    def status(self) -> int:
        """One of :data:`bttt.kernels.ONGOING`, ``P1_WIN``, ``P2_WIN``, ``DRAW``."""
        return self._status

    def returns(self) -> tuple[float, float]:
        """(player 1, player 2) rewards: +1/-1 for a win, 0/0 for a draw or unfinished game."""
        w = self.winner
        return (0.0, 0.0) if w == 0 else ((1.0, -1.0) if w == 1 else (-1.0, 1.0))

    def winning_line(self) -> tuple[int, ...]:
        """The cells of a completed line through the last move, in board order (empty unless the game was won)."""
        if self.winner == 0:
            return ()
        stones = self.p1 if self.winner == 1 else self.p2
        for mask in self.rules.cell_win_masks[self.history[-1]]:
            if stones & mask == mask:
                return tuple(c for c in range(self.rules.n_cells) if mask >> c & 1)
        return ()  # pragma: no cover - a won game always has its line

    def move_number(self) -> int:
        return len(self.history)

    # --------------------------------------------------------------- mutation
    def apply_action(self, action: int | str) -> None:
        """Play ``action`` (an index or a cell name) for the side to move.

        Raises :class:`IllegalMoveError` naming the move and why it is illegal.
        """
        rules = self.rules
        if type(action) is not int:
            action = self._coerce_action(action)
        if not 0 <= action < rules.n_cells:
            self._raise_illegal(action)
        bit = 1 << action
        occupied = self.p1 | self.p2
        if self._status != ONGOING or not (rules.full_mask & ~occupied & bit):
            self._raise_illegal(action)
        if self.to_move == 1:
            self.p1 = stones = self.p1 | bit
        else:
            self.p2 = stones = self.p2 | bit
        # The win test over the few windows through ``action`` (the same live windows
        # as the numba core's tables): cheaper in Python than a call into numba here.
        for mask in rules.cell_win_masks[action]:
            if stones & mask == mask:
                self._status = P1_WIN if self.to_move == 1 else P2_WIN
                break
        else:
            if not rules.full_mask & ~(occupied | bit):
                self._status = DRAW
        self.history.append(action)
        self.to_move = 3 - self.to_move

    def _coerce_action(self, action) -> int:
        if isinstance(action, str):
            return parse_cell(action, self.rules.rows, self.rules.cols)
        if not isinstance(action, int | np.integer) or isinstance(action, bool):
            raise IllegalMoveError(f"a move is a cell index or name, got {action!r}")
        return int(action)

    def _raise_illegal(self, action: int) -> None:
        """Raise the :class:`IllegalMoveError` that says why ``action`` cannot be played."""
        rules = self.rules
        if not 0 <= action < rules.n_cells:
            raise IllegalMoveError(f"move {action} is off the board (cells are 0..{rules.n_cells - 1})")
        name = rules.name(action)
        if self._status != ONGOING:
            raise IllegalMoveError(f"move {name}: the game is already over")
        bit = 1 << action
        if rules.brick_mask & bit:
            raise IllegalMoveError(f"move {name}: a brick stands on that cell")
        owner = "O" if self.p1 & bit else "X"
        raise IllegalMoveError(f"move {name}: the cell is already taken by {owner}")

    def child(self, action: int | str) -> GameState:
        """A copy with ``action`` applied."""
        out = self.clone()
        out.apply_action(action)
        return out

    def clone(self) -> GameState:
        out = GameState.__new__(GameState)
        out.rules, out.p1, out.p2, out.to_move = self.rules, self.p1, self.p2, self.to_move
        out.history = list(self.history)
        out._status = self._status
        return out

    # ---------------------------------------------------------- conversions
    def board(self) -> np.ndarray:
        """int8 array (rows, cols): 0 empty, 1 O, 2 X, 3 brick."""
        r = self.rules
        cells = _CODES @ _planes(self.p1, self.p2, r.brick_mask, r.n_cells)
        return cells.view(np.int8).reshape(r.rows, r.cols)

    def observation(self) -> np.ndarray:
        """float32 planes (3, rows, cols) for the side to move: own stones, opponent stones, bricks.

        Built by :func:`bttt.kernels.write_planes`, the same builder the searches feed networks with.
        """
        r = self.rules
        own, opp = (self.p1, self.p2) if self.to_move == 1 else (self.p2, self.p1)
        planes = np.empty((1, 3, r.rows, r.cols), np.float32)
        mask = np.empty((1, r.n_cells), bool)
        t = r.tables
        kernels.write_planes(
            np.uint64(own), np.uint64(opp), t.bricks, np.uint64(self.empty_mask), r.rows, r.cols, planes, mask, 0
        )
        return planes[0]

    def serialize(self) -> str:
        """Compact text that :meth:`deserialize` turns back into an equal state: ``'7x7k4 b:D3+E5 m:C3,D5'``.

        ``b:`` is the brick layout in the brick grammar (``none`` for no brick), ``m:`` the moves in order (``-``
        for none).
        """
        r = self.rules
        moves = ",".join(r.name(c) for c in self.history) or "-"
        return f"{r.rows}x{r.cols}k{r.win_length} b:{layout_name(r.bricks, r.rows, r.cols)} m:{moves}"

    @classmethod
    def deserialize(cls, text: str) -> GameState:
        match = _SERIAL_RE.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise SerializationError(f"cannot parse game state {text!r}: expected e.g. '7x7k4 b:D4 m:C3,D5'")
        rows, cols, k = (int(match.group(i)) for i in (1, 2, 3))
        bricks = "none" if match.group(4) == "-" else match.group(4)  # "-": written by bttt before 0.2
        try:
            rules = Rules(rows, cols, k, bricks)
            return cls.from_moves(rules, () if match.group(5) == "-" else match.group(5))
        except BtttError as exc:
            raise SerializationError(f"game state {text.strip()!r}: {exc}") from None

    @classmethod
    def from_moves(cls, rules: Rules, moves) -> GameState:
        """Replay ``moves`` (indices, names or a comma-separated string) from the start."""
        state = cls(rules)
        for m in parse_cells(moves, rules.rows, rules.cols) if isinstance(moves, str) else moves:
            state.apply_action(m)
        return state

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GameState) and self.rules == other.rules and self.history == other.history

    def __hash__(self) -> int:
        return hash((self.rules, tuple(self.history)))

    def __repr__(self) -> str:
        return f"GameState({self.serialize()!r})"

    def __str__(self) -> str:
        from bttt.render import render_text

        return render_text(self)
