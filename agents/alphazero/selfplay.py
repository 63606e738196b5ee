"""Batched self-play: many games at once through one :class:`BatchedMCTS`.

Every step searches the current position of every unfinished game in one batch
(one network call per simulation for all of them), with Dirichlet noise at the
roots and tree reuse between moves. A move is sampled in proportion to the visit
counts for the first ``temperature_moves`` plies (temperature 1), then the most
visited move is played (ties broken by the seeded generator). When a game ends,
its positions get the outcome from each mover's view and a new game starts in the
freed slot until ``n_games`` have been played.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from agents.alphazero.config import TrainConfig
from agents.alphazero.search import BatchedMCTS, Evaluate
from bttt import GameState, Rules


@dataclass
class SelfPlayResult:
    """Positions (side to move's view) and per-game statistics of a batch of self-play games."""

    planes: np.ndarray  # uint8 (N, 3, R, C)
    masks: np.ndarray  # bool (N, R*C)
    policy: np.ndarray  # float32 (N, R*C), visit distribution of the search
    value: np.ndarray  # float32 (N,), final outcome for the side to move
    layout: np.ndarray  # int16 (N,), index of the brick layout in the distribution
    games: int = 0
    p1_wins: int = 0
    p2_wins: int = 0
    draws: int = 0
    plies: int = 0
    search_s: float = 0.0  # time inside BatchedMCTS.search (network included)
    network_s: float = 0.0  # time inside evaluate
    total_s: float = 0.0
    network_calls: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def positions(self) -> int:
        return len(self.value)

    @classmethod
    def merge(cls, parts: list[SelfPlayResult]) -> SelfPlayResult:
        out = cls(
            *(np.concatenate([getattr(p, k) for p in parts]) for k in ("planes", "masks", "policy", "value", "layout"))
        )
        for k in ("games", "p1_wins", "p2_wins", "draws", "plies", "network_calls"):
            setattr(out, k, sum(getattr(p, k) for p in parts))
        for k in ("search_s", "network_s", "total_s"):
            setattr(out, k, max(getattr(p, k) for p in parts) if k == "total_s" else sum(getattr(p, k) for p in parts))
        return out


class _TimedEvaluate:
    """Wraps ``evaluate`` to accumulate the time spent in the network."""

    def __init__(self, evaluate: Evaluate) -> None:
        self.evaluate = evaluate
        self.seconds = 0.0

    def __call__(self, planes: np.ndarray, masks: np.ndarray):
        t0 = time.perf_counter()
        out = self.evaluate(planes, masks)
        self.seconds += time.perf_counter() - t0
        return out


def play_games(evaluate: Evaluate, cfg: TrainConfig, n_games: int, seed: int) -> SelfPlayResult:
    """Play ``n_games`` self-play games with ``cfg``'s search settings; fully determined by ``seed``."""
    t_start = time.perf_counter()
    rng = np.random.default_rng(seed)
    dist = cfg.distribution()
    base = Rules(cfg.rows, cfg.cols, cfg.win_length, None)
    rules_of = [base.with_bricks(layout) for layout in dist.layouts]
    slots = max(1, min(cfg.parallel_games, n_games))
    mcts = BatchedMCTS(cfg.search_config(), slots, base, seed=int(rng.integers(2**62)))
    timed = _TimedEvaluate(evaluate)

    states: list[GameState | None] = [None] * slots
    layout_of = np.zeros(slots, np.int16)
    records: list[list[tuple]] = [[] for _ in range(slots)]
    out_planes, out_masks, out_policy, out_value, out_layout = [], [], [], [], []
    result = SelfPlayResult(*(np.zeros(0) for _ in range(5)))
    started = 0

    def start(slot: int) -> None:
        nonlocal started
        k = int(rng.integers(len(dist.layouts))) if len(dist.layouts) > 1 else 0
        states[slot] = GameState(rules_of[k])
        layout_of[slot] = k
        records[slot] = []
        mcts.reset(slot)
        started += 1

    for s in range(slots):
        start(s)
    search_s = 0.0
    while True:
        live = [s for s in range(slots) if states[s] is not None]
        if not live:
            break
        t0 = time.perf_counter()
        visits = mcts.search([states[s] for s in live], timed, add_noise=True, trees=live)
        search_s += time.perf_counter() - t0
        for row, s in enumerate(live):
            state = states[s]
            counts = visits[row].astype(np.float64)
            policy = (counts / counts.sum()).astype(np.float32)
            records[s].append((state.observation().astype(np.uint8), state.legal_mask(), policy, state.to_move))
            if state.move_number() < cfg.temperature_moves:
                action = int(rng.choice(len(counts), p=counts / counts.sum()))
            else:
                best = np.flatnonzero(counts == counts.max())
                action = int(best[rng.integers(len(best))]) if len(best) > 1 else int(best[0])
            state.apply_action(action)
            mcts.advance(s, action)
            if state.is_terminal():
                winner = state.winner
                result.games += 1
                result.plies += state.move_number()
                result.p1_wins += winner == 1
                result.p2_wins += winner == 2
                result.draws += winner == 0
                for planes, mask, pol, mover in records[s]:
                    out_planes.append(planes)
                    out_masks.append(mask)
                    out_policy.append(pol)
                    out_value.append(0.0 if winner == 0 else (1.0 if winner == mover else -1.0))
                    out_layout.append(layout_of[s])
                if started < n_games:
                    start(s)
                else:
                    states[s] = None
    n_cells = cfg.rows * cfg.cols
    result.planes = np.stack(out_planes) if out_planes else np.zeros((0, 3, cfg.rows, cfg.cols), np.uint8)
    result.masks = np.stack(out_masks) if out_masks else np.zeros((0, n_cells), bool)
    result.policy = np.stack(out_policy) if out_policy else np.zeros((0, n_cells), np.float32)
    result.value = np.asarray(out_value, np.float32)
    result.layout = np.asarray(out_layout, np.int16)
    result.search_s = search_s
    result.network_s = timed.seconds
    result.network_calls = mcts.network_calls
    result.total_s = time.perf_counter() - t_start
    return result


def portable_weights(state_dict: dict) -> dict[str, np.ndarray]:
    """A state dict as numpy arrays, to send to worker processes by value (torch tensors would travel through
    shared memory and a file-descriptor server, which breaks noisily when a worker is killed)."""
    return {k: v.detach().cpu().numpy() for k, v in state_dict.items()}


def play_games_worker(args: tuple) -> SelfPlayResult:
    """Process-pool entry: build a CPU network from :func:`portable_weights`, then :func:`play_games`."""
    import torch

    from agents.alphazero.evaluator import Evaluator
    from agents.alphazero.network import NetConfig, PolicyValueNet

    net_config, weights, cfg_dict, n_games, seed, threads = args
    torch.set_num_threads(threads)
    net = PolicyValueNet(NetConfig.from_dict(net_config))
    net.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()})
    evaluate = Evaluator(net, device="cpu")
    return play_games(evaluate, TrainConfig.from_dict(cfg_dict), n_games, seed)
