"""The independent certificate checker: plain Python over :class:`bttt.GameState`, no solver code.

A certificate (JSON, written by :mod:`bttt.solver.certificate`) claims a value for a position and carries the
strategies that prove it:

* a **win** for the side to move within ``N`` plies: the winner's strategy, one move for each position where the
  winner is to move. The checker plays every reply of the loser at the loser's turns and the strategy's move at
  the winner's, and accepts when every line ends in the winner's completed line within ``N`` plies;
* a **draw**: one such strategy for each side, each guaranteeing that side at least a draw (no line of the
  opponent, whatever it plays).

Threat rules keep certificates small, and the checker re-verifies each time it uses them instead of trusting the
certificate: where the side to move can complete a line at once, it does (no entry needed); where the winner has
no entry but a move that makes two winning cells while the loser has none, it wins in three plies; where the
loser faces two winning cells and has none of its own, it loses in two; and for a draw strategy, a position
where the opponent has no line left without one of our stones is safe (the opponent can never win from it).
Lines are found here from the board size, win length and bricks, not from bttt's tables.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bttt.cells import parse_cell
from bttt.errors import BtttError
from bttt.state import GameState

FORMAT = "bttt-certificate"
FORMAT_VERSION = 1


class CertificateError(BtttError):
    """A certificate that cannot be read, or that does not prove what it claims."""


@dataclass(frozen=True)
class CheckResult:
    """What a verified certificate proves."""

    position: str
    claim: str
    positions_checked: int
    strategy_entries: int
    seconds: float
    longest: int | None  # plies to the win on the longest line (wins only)

    def describe(self) -> str:
        longest = "" if self.longest is None else f", longest line {self.longest} plies"
        return (
            f"verified: {self.position}: {self.claim} ({self.strategy_entries} strategy entries, "
            f"{self.positions_checked} positions checked{longest}, {self.seconds:.2f} s)"
        )


def position_key(state: GameState) -> str:
    """The key of a position in a strategy: player 1's and player 2's stones as hexadecimal bitboards."""
    return f"{state.p1:x}.{state.p2:x}"


def _lines(state: GameState) -> list[int]:
    """Every line of ``k`` cells that crosses no brick, as an int bitmask (computed here, independently)."""
    r = state.rules
    rows, cols, k = r.rows, r.cols, r.win_length
    bricks = set(r.bricks)
    out = []
    for row in range(rows):
        for col in range(cols):
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                cells = [(row + i * dr) * cols + col + i * dc for i in range(k)]
                end_r, end_c = row + (k - 1) * dr, col + (k - 1) * dc
                if 0 <= end_r < rows and 0 <= end_c < cols and not bricks.intersection(cells):
                    out.append(sum(1 << c for c in cells))
    return out


class _Checker:
    def __init__(self, root: GameState, strategy: dict[str, str]) -> None:
        self.root = root
        self.strategy = strategy
        self.lines = _lines(root)
        self.checked = 0
        self.used: set[str] = set()

    def _stones(self, s: GameState, player: int) -> int:
        return s.p1 if player == 1 else s.p2

    def immediate_win(self, s: GameState) -> int | None:
        """A move completing a line for the side to move, verified by playing it."""
        me = self._stones(s, s.to_move)
        other = self._stones(s, 3 - s.to_move)
        for line in self.lines:
            if line & other == 0:
                empty = line & ~me
                if empty and empty & (empty - 1) == 0:
                    move = empty.bit_length() - 1
                    if s.is_legal(move) and s.child(move).winner == s.to_move:
                        return move
        return None

    def strategy_move(self, s: GameState) -> int:
        key = position_key(s)
        if key not in self.strategy:
            raise CertificateError(f"the strategy has no move for the position {s.serialize()}")
        self.used.add(key)
        name = self.strategy[key]
        try:
            move = _parse(s, name)
        except BtttError as exc:
            raise CertificateError(f"the strategy's move {name!r} at {s.serialize()} is not a cell: {exc}") from None
        if not s.is_legal(move):
            raise CertificateError(f"the strategy's move {name} at {s.serialize()} is illegal")
        return move

    def winning_cells(self, s: GameState, player: int) -> int:
        """Empty cells where one more stone of ``player`` completes a line."""
        me = self._stones(s, player)
        other = self._stones(s, 3 - player)
        out = 0
        for line in self.lines:
            if line & other == 0:
                empty = line & ~me
                if empty and empty & (empty - 1) == 0:
                    out |= empty
        return out

    def double_threat(self, s: GameState) -> int | None:
        """A move after which the side to move has two cells that each complete a line, while the opponent has
        none: it wins in three plies whatever the reply (verified here, cell by cell)."""
        player = s.to_move
        if self.winning_cells(s, 3 - player):
            return None
        for move in s.legal_actions():
            child = s.child(move)
            w = self.winning_cells(child, player)
            if w & (w - 1):
                return move
        return None

    def win_within(self, winner: int) -> int:
        """The longest line (plies) to the winner's win under its strategy; raises if any line fails."""
        memo: dict[tuple[int, int], int] = {}

        def longest(s: GameState) -> int:
            self.checked += 1
            if s.is_terminal():
                if s.winner != winner:
                    raise CertificateError(f"the line to {s.serialize()} does not end in a win for player {winner}")
                return 0
            key = (s.p1, s.p2)
            if key in memo:
                return memo[key]
            if s.to_move == winner:
                move = self.immediate_win(s)
                if move is None and position_key(s) not in self.strategy:
                    move = self.double_threat(s)
                    if move is not None:
                        memo[key] = 3  # the threat rule, re-verified: a double threat wins in three plies
                        return 3
                value = 1 + longest(s.child(move if move is not None else self.strategy_move(s)))
            else:
                threats = self.winning_cells(s, winner)
                if threats & (threats - 1) and not self.winning_cells(s, s.to_move):
                    value = 2  # two open threats and no win for the side to move: lost in two plies
                else:
                    value = 1 + max(longest(s.child(m)) for m in s.legal_actions())
            memo[key] = value
            return value

        return longest(self.root)

    def at_least_draw(self, side: int) -> None:
        """Raise unless ``side``'s strategy keeps the opponent from ever completing a line."""
        seen: set[tuple[int, int]] = set()
        stack = [self.root]
        while stack:
            s = stack.pop()
            if (s.p1, s.p2) in seen:
                continue
            seen.add((s.p1, s.p2))
            self.checked += 1
            if s.is_terminal():
                if s.winner == 3 - side:
                    raise CertificateError(f"player {3 - side} wins at {s.serialize()} against the strategy")
                continue
            mine = self._stones(s, side)
            if all(line & mine for line in self.lines):
                continue  # every line holds one of our stones: the opponent can never win (re-verified here)
            if s.to_move == side:
                move = self.immediate_win(s)
                stack.append(s.child(move if move is not None else self.strategy_move(s)))
            else:
                stack.extend(s.child(m) for m in s.legal_actions())


def _parse(s: GameState, name: str) -> int:
    if not isinstance(name, str):
        raise CertificateError(f"a strategy move is a cell name, got {name!r}")
    return parse_cell(name, s.rules.rows, s.rules.cols)


def read_certificate(path: str | Path) -> dict:
    """The certificate in ``path`` as a dict, with its format checked (JSON only: data, never code)."""
    path = Path(path)
    if not path.is_file():
        raise CertificateError(f"no certificate file at {path}")
    try:
        doc = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CertificateError(f"{path} is not a certificate (not JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CertificateError(f"{path} is not a bttt certificate (no format tag {FORMAT!r})")
    if doc.get("version") != FORMAT_VERSION:
        raise CertificateError(f"{path} has certificate version {doc.get('version')}, this bttt reads {FORMAT_VERSION}")
    return doc


def verify(doc: dict) -> CheckResult:
    """Check a certificate (a dict as :func:`read_certificate` returns); raise :class:`CertificateError` if it
    does not prove its claim."""
    t0 = time.perf_counter()
    try:
        root = GameState.deserialize(doc["position"])
        claim = doc["claim"]
        value = claim["value"]
    except (KeyError, TypeError) as exc:
        raise CertificateError(f"the certificate lacks {exc}") from None
    except BtttError as exc:
        raise CertificateError(f"the certificate's position: {exc}") from None
    if root.is_terminal():
        raise CertificateError("the certificate's position is already finished")
    strategies = doc.get("strategies")
    if not isinstance(strategies, dict) or not all(isinstance(v, dict) for v in strategies.values()):
        raise CertificateError("the certificate's strategies must map a player ('1', '2') to {position: move}")
    entries = sum(len(v) for v in strategies.values())
    if value == "win":
        winner = root.to_move
        within = claim.get("within")
        if not isinstance(within, int) or within < 1:
            raise CertificateError("a win claim needs 'within': the plies it takes at most")
        checker = _Checker(root, strategies.get(str(winner), {}))
        longest = checker.win_within(winner)
        if longest > within:
            raise CertificateError(
                f"the strategy wins, but a line takes {longest} plies, more than the {within} claimed"
            )
        text = f"player {winner} (to move) wins within {within} plies"
    elif value == "draw":
        longest = None
        checked = 0
        for side in (1, 2):
            checker = _Checker(root, strategies.get(str(side), {}))
            checker.at_least_draw(side)
            checked += checker.checked
        checker.checked = checked
        text = "a draw: each side has a strategy that keeps at least a draw"
    else:
        raise CertificateError(f"a certificate claims a 'win' or a 'draw', not {value!r}")
    return CheckResult(doc["position"], text, checker.checked, entries, time.perf_counter() - t0, longest)
