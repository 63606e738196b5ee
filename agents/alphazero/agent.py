"""The ``alphazero`` agent: a checkpointed policy-value network, with or without PUCT search.

``alphazero:checkpoint=d4,simulations=100`` plays the shipped ``d4`` network with
100 simulations per move; ``checkpoint`` may also be a path (e.g. one written by
``bttt import-keras``). ``simulations=0`` plays the highest-logit legal move (the
paper's "NS" player). ``paper=true`` reproduces the original code's search: its
selection rule (no +1 under the square root, ties to the lowest action), c_puct 1,
illegal logits set to -100, and -- because there the first simulation only
expands the root -- ``simulations - 1`` visits below a fresh root, and a fresh tree
every move (``reuse_tree=auto``). One difference remains by default: the original stored
its tree as a graph keyed by position, so transpositions shared statistics; ours is a
tree unless ``search=graph``. The move is the most visited one, ties broken uniformly at random (seeded);
``temperature > 0`` samples proportionally to visits^(1/T) instead. ``leaf_batch=N`` evaluates up to N
leaves per network call with virtual loss (bttt's search only).

The agent offers ``step_requests`` (:mod:`agents.batching`), so tournaments pool the network calls of
many games; it keeps a per-game cache of network evaluations (:mod:`agents.alphazero.eval_cache`).

The agent declares ``training_cells`` (the brick cells its network was trained
on, read from the checkpoint), which tournaments use to split familiar from novel
brick positions. On the CPU it sets torch to ``threads`` threads (default 1, process-wide;
``threads=0`` leaves torch alone). The network runs on the process's inference backend (the
BN-folded ``torch`` copy unless ``$BTTT_INFERENCE`` says otherwise; see
:mod:`agents.alphazero.evaluator`): an implementation detail, so it is not part of the spec
or the agent's name; Python callers may pass ``backend=``. Agents with the same checkpoint,
device and backend share one network. This module only registers the agent;
torch is imported when one is built, so listing agents stays fast.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from agents.base import Agent
from agents.registry import AgentEntry, AgentSpecError, Param, non_negative, register_agent
from bttt import GameState
from bttt.errors import BtttError

if TYPE_CHECKING:
    from agents.alphazero.checkpoint import Checkpoint
    from agents.alphazero.evaluator import Evaluator

#: Where shipped checkpoints live (``<name>.pt`` with ``<name>.json`` beside it).
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
PAPER_C_PUCT = 1.0
PAPER_ILLEGAL_LOGIT = -100.0
#: Whether ``search=auto`` is the transposition graph under ``paper=true`` (decided by agreement with the
#: original code's results: docs/alphazero-speed.md).
PAPER_GRAPH = False
_CACHE_SIZE = 8
_checkpoints: OrderedDict[tuple, Checkpoint] = OrderedDict()
_nets: OrderedDict[tuple, object] = OrderedDict()


def shipped_checkpoints() -> dict[str, Path]:
    """Name -> path of every checkpoint shipped inside the package."""
    if not CHECKPOINT_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(CHECKPOINT_DIR.glob("*.pt"))}


DIGEST_CHARS = 12  # the content-hash prefix that pins a checkpoint in a spec: checkpoint=d4@3f2a9c1b07de


def _split_pinned(text: str) -> tuple[str, str | None]:
    """``"d4@3f2a9c1b07de"`` -> ``("d4", "3f2a9c1b07de")``; no pin -> ``(text, None)``."""
    head, sep, tail = text.rpartition("@")
    if sep and len(tail) >= 8 and all(ch in "0123456789abcdef" for ch in tail.lower()):
        return head, tail.lower()
    return text, None


def resolve_checkpoint(spec: str) -> Path:
    """A shipped checkpoint's name (``d4``) or a path -> an existing file path.

    A spec pinned to a content hash (``d4@3f2a9c1b07de``, as tournaments store it) must still have that content:
    a changed or replaced file is refused, never taken for the network that was pinned.
    """
    from bttt.paths import file_digest

    text, pin = _split_pinned(str(spec).strip())
    path = Path(text).expanduser()
    if not path.is_file():
        shipped = shipped_checkpoints()
        if text not in shipped:
            names = ", ".join(shipped) or "none installed"
            raise AgentSpecError(
                f"alphazero: checkpoint {text!r} is neither a file nor a shipped checkpoint (shipped: {names}); "
                "give a .pt path, e.g. one written by 'bttt train' or 'bttt import-keras'"
            )
        path = shipped[text]
    if pin is not None and not file_digest(path).startswith(pin):
        raise AgentSpecError(
            f"alphazero: checkpoint {text} has changed: its content hash is now {file_digest(path)[:DIGEST_CHARS]}, "
            f"not {pin} as when it was recorded; restore that file, or add the new network under another path "
            "(it is a different agent)"
        )
    return path


def pinned_checkpoint(spec: str) -> str:
    """The checkpoint spec with its content hash: ``"d4"`` -> ``"d4@3f2a9c1b07de"``."""
    from bttt.paths import file_digest

    text, _ = _split_pinned(str(spec).strip())
    return f"{text}@{file_digest(resolve_checkpoint(spec))[:DIGEST_CHARS]}"


def _cached(cache: OrderedDict, key: tuple, make):
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = make()
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return value


def load_cached(path: Path) -> Checkpoint:
    """Load a checkpoint once per (path, modification time, size): tournaments build many agents."""
    from agents.alphazero.checkpoint import load_checkpoint

    st = os.stat(path)
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    return _cached(_checkpoints, key, lambda: load_checkpoint(path))


def _shared_net(path: Path, ckpt: Checkpoint, device, backend: str):
    """One network and inference model per (checkpoint file, device, backend), shared by agents."""
    from agents.alphazero.evaluator import inference_model

    def make():
        net = ckpt.build_net(device)
        return net, inference_model(net, device, backend)

    st = os.stat(path)
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, str(device), backend)
    return _cached(_nets, key, make)


def _set_torch_threads(threads: int) -> None:
    """Set the process's torch CPU threads. Batch-1 search inference gains little from more threads,
    and tournament workers each running a multi-threaded torch on a small machine oversubscribe the
    cores: OpenMP spin-waiting then makes inference up to 100x slower (scripts/bench_az_network.py)."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class AlphaZeroAgent(Agent):
    """Plays with a policy-value network and (if ``simulations > 0``) batched PUCT search."""

    def __init__(
        self,
        checkpoint: str | None = None,
        simulations: int | None = None,
        c_puct: float | str | None = None,
        device: str | None = None,
        temperature: float | None = None,
        paper: bool | None = None,
        reuse_tree: bool | str | None = None,
        threads: int | None = None,
        search: str | None = None,
        leaf_batch: int | None = None,
        early_stop: bool | None = None,
        seed: int | None = None,
        backend: str = "auto",
        eval_cache: bool = True,
    ) -> None:
        """Parameters left as None take the registry's defaults; ``c_puct`` and ``reuse_tree`` also take "auto"."""
        from agents.alphazero.eval_cache import EvalCache
        from agents.alphazero.evaluator import Evaluator, resolve_backend, resolve_device

        given = {
            "checkpoint": checkpoint,
            "simulations": simulations,
            "device": device,
            "temperature": temperature,
            "paper": paper,
            "threads": threads,
            "c_puct": None if c_puct is None else str(c_puct).lower(),
            "reuse_tree": None if reuse_tree is None else str(reuse_tree).lower(),
            "search": None if search is None else str(search).lower(),
            "leaf_batch": leaf_batch,
            "early_stop": early_stop,
        }
        v = ENTRY.resolve(given)
        checkpoint, simulations, paper, threads = v["checkpoint"], int(v["simulations"]), bool(v["paper"]), v["threads"]
        self.checkpoint_path = resolve_checkpoint(checkpoint)
        self.ckpt = load_cached(self.checkpoint_path)
        self.device = resolve_device(v["device"])
        if threads > 0 and self.device.type == "cpu":
            _set_torch_threads(threads)
        self.simulations = simulations
        self.paper = paper
        self.c_puct = float(v["c_puct"]) if v["c_puct"] != "auto" else (PAPER_C_PUCT if paper else None)
        self.temperature = float(v["temperature"])
        # the original code built a fresh search tree for every move
        self.reuse_tree = (not self.paper) if v["reuse_tree"] == "auto" else v["reuse_tree"] == "true"
        # the original code's search graph (transpositions share statistics), or bttt's tree
        self.graph = (self.paper and PAPER_GRAPH) if v["search"] == "auto" else v["search"] == "graph"
        self.leaf_batch = int(v["leaf_batch"])
        if self.leaf_batch > 1 and (self.paper or self.graph):
            raise AgentSpecError(
                f"alphazero: leaf_batch={self.leaf_batch} (virtual loss) is for bttt's tree search; paper=true and "
                "search=graph stay sequential and exact: drop leaf_batch or use leaf_batch=1"
            )
        # a move's search may end once its most visited move is decided; the move is the same, so only where
        # nothing else reads the visits: the most visited move (temperature 0) and a fresh tree every move
        self.early_stop = bool(v["early_stop"]) and self.temperature == 0 and not self.reuse_tree
        self.training_cells = self.ckpt.training_cells
        self.training_bricks = self.ckpt.training_bricks
        # the identity carries the file's content hash: a retrained or replaced checkpoint is another agent
        self.name = ENTRY.canonical_name({**v, "checkpoint": pinned_checkpoint(checkpoint)})
        self.backend = resolve_backend(backend)
        net, model = _shared_net(self.checkpoint_path, self.ckpt, self.device, self.backend)
        self.evaluator: Evaluator = Evaluator(net, self.device, PAPER_ILLEGAL_LOGIT if paper else None, model=model)
        #: Agents with equal keys share one network, so a tournament can pool their games' network calls
        #: (:mod:`agents.batching`); ``batch_games`` is how many games it should group (more on a GPU).
        self.batch_key = ("alphazero", str(self.checkpoint_path.resolve()), str(self.device), self.backend)
        self.batch_games = 64 if self.device.type == "cpu" else 1024
        self.config = self.ckpt.net_config
        self.mcts = None
        self.eval_cache = EvalCache() if eval_cache else None
        self._seen: tuple[int, tuple[int, ...]] | None = None  # (brick mask, history) the tree root follows
        self.seed(seed)

    # ----------------------------------------------------------------- setup
    def _search(self):
        if self.mcts is None:
            from agents.alphazero.search import BatchedMCTS, SearchConfig
            from bttt import Rules

            kwargs = {
                "simulations": self.simulations - 1 if self.paper else self.simulations,
                "paper_rule": self.paper,
                "reuse_tree": self.reuse_tree,
                "graph": self.graph,
                "leaf_batch": self.leaf_batch,
            }
            if self.c_puct is not None:
                kwargs["c_puct"] = self.c_puct
            rules = Rules(self.config.rows, self.config.cols)
            self.mcts = BatchedMCTS(SearchConfig(**kwargs), 1, rules, seed=self._search_seed)
        return self.mcts

    def seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)
        self._search_seed = int(np.random.default_rng(seed).integers(2**31)) if seed is not None else 0
        if self.mcts is not None:
            self.mcts.seed(self._search_seed)

    def reset(self) -> None:
        if self.mcts is not None:
            self.mcts.reset()
        if self.eval_cache is not None:
            self.eval_cache.clear()
        self._seen = None

    # ------------------------------------------------------------------ play
    def _check(self, state: GameState) -> None:
        r, c = self.config.rows, self.config.cols
        if (state.rules.rows, state.rules.cols) != (r, c):
            raise BtttError(
                f"{self.checkpoint_path.name} plays {r}x{c} boards, not {state.rules.rows}x{state.rules.cols}"
            )
        if state.is_terminal():
            raise BtttError("no legal move: the game is over")

    def policy(self, state: GameState) -> np.ndarray:
        """The distribution the move is drawn from before temperature: root visit shares, or the
        network's masked prior when ``simulations == 0``."""
        from agents.batching import run_alone

        return run_alone(self._policy_steps(state))

    def _policy_steps(self, state: GameState, for_move: bool = False):
        """:meth:`policy` as a generator of :class:`~agents.alphazero.network_request.NetworkRequest`.

        ``for_move``: only the most visited move will be read (see ``early_stop``)."""
        self._check(state)
        if self.simulations == 0:
            planes, masks = state.observation()[None], state.legal_mask()[None]
            priors, _ = yield from self._evaluations(planes, masks)
            return priors[0]
        if self.paper and self.simulations == 1:
            # the original code's single simulation only expands the root: no visits, all tied
            legal = state.legal_mask().astype(np.float32)
            return legal / legal.sum()
        mcts = self._search()
        self._follow(state)
        steps = mcts.search_steps([state], stop_when_decided=for_move and self.early_stop)
        try:
            leaves = next(steps)
            while True:
                reply = yield from self._evaluations(*leaves)
                leaves = steps.send(reply)
        except StopIteration as stop:
            visits = stop.value[0]
        self._seen = (state.rules.brick_mask, tuple(state.history))
        total = visits.sum()
        return visits / total if total > 0 else visits

    def _follow(self, state: GameState) -> None:
        """Move the reused tree's root along the moves played since the last search."""
        seen, self._seen = self._seen, None
        if not self.reuse_tree or seen is None:
            self.mcts.reset(0)
            return
        mask, history = seen
        n = len(history)
        if state.rules.brick_mask != mask or tuple(state.history[:n]) != history:
            self.mcts.reset(0)
            return
        for action in state.history[n:]:
            self.mcts.advance(0, int(action))

    def _evaluations(self, planes: np.ndarray, masks: np.ndarray):
        """Priors and values of ``planes``: cached positions from the cache, the others from one network request
        (yielded; see :mod:`agents.batching`)."""
        from agents.alphazero.network_request import NetworkRequest

        cache = self.eval_cache
        if cache is None:
            return (yield NetworkRequest(self.evaluator, np.array(planes), np.array(masks)))
        keys = cache.keys(planes)
        hit, priors, values = cache.lookup(keys, masks.shape[1])
        if hit.all():
            return priors, values
        miss = np.flatnonzero(~hit)
        first: dict[bytes, int] = {}  # a position twice in one batch is evaluated once
        for i in miss:
            first.setdefault(keys[i], int(i))
        rows = np.fromiter(first.values(), np.int64, len(first))
        new_priors, new_values = yield NetworkRequest(self.evaluator, np.array(planes[rows]), np.array(masks[rows]))
        cache.store(list(first), new_priors, new_values)
        where = {key: j for j, key in enumerate(first)}
        for i in miss:
            j = where[keys[i]]
            priors[i], values[i] = new_priors[j], new_values[j]
        return priors, values

    def step_requests(self, state: GameState):
        """:meth:`step` as a generator: yields the network requests of its search, returns the move (the
        protocol of :mod:`agents.batching`; a tournament pools the requests of many games)."""
        dist = yield from self._policy_steps(state, for_move=True)
        return self._choose(state, dist)

    def step(self, state: GameState) -> int:
        from agents.batching import run_alone

        return run_alone(self.step_requests(state))

    def _choose(self, state: GameState, dist: np.ndarray) -> int:
        legal = state.legal_mask()
        dist = np.where(legal, dist, 0.0)
        if self.temperature > 0:
            weights = dist.astype(np.float64) ** (1.0 / self.temperature)
            if weights.sum() <= 0 or not np.isfinite(weights).all():
                weights = legal.astype(np.float64)
            action = int(self.rng.choice(len(weights), p=weights / weights.sum()))
        else:
            best = np.flatnonzero(legal & (dist == dist[legal].max()))
            action = int(best[0]) if len(best) == 1 else int(self.rng.choice(best))
        if self.mcts is not None and self.simulations > 0 and self._seen is not None:
            self.mcts.advance(0, action)
            self._seen = (self._seen[0], self._seen[1] + (action,))
        return action


def _positive(value: int) -> str | None:
    return None if value >= 1 else "must be at least 1"


def _device_ok(value: str) -> str | None:
    text = value.strip().lower()
    if text in ("auto", "cpu", "cuda", "mps") or (text.startswith("cuda:") and text[5:].isdigit()):
        return None
    return "use auto, cpu, cuda or cuda:N"


def _c_puct_ok(value: str) -> str | None:
    if value.strip().lower() == "auto":
        return None
    try:
        return None if float(value) >= 0 else "must be zero or more"
    except ValueError:
        return "use a number or auto"


ENTRY = register_agent(
    AgentEntry(
        "alphazero",
        AlphaZeroAgent,
        (
            Param("checkpoint", str, "d4", "a checkpoint .pt path or a shipped name (d4, r2, r3, all, d4-half)"),
            Param(
                "simulations",
                int,
                100,
                "PUCT simulations per move; 0 = play the network's best legal move",
                check=non_negative,
            ),
            Param("c_puct", str, "auto", "exploration constant; auto = 1.5, or 1 with paper=true", check=_c_puct_ok),
            Param("device", str, "auto", "auto (CUDA if present), cpu, cuda or cuda:N", check=_device_ok),
            Param(
                "temperature",
                float,
                0.0,
                "0 = most visited move (ties random); >0 samples visits^(1/T)",
                check=non_negative,
            ),
            Param("paper", bool, False, "the paper's search: its selection rule, c_puct 1, illegal logits -100"),
            Param(
                "reuse_tree",
                str,
                "auto",
                "keep the searched subtree between moves; auto = true, but false with "
                "paper=true (the original code searched a fresh tree every move)",
                choices=("auto", "true", "false"),
            ),
            Param(
                "threads",
                int,
                1,
                "torch CPU threads for this process (0 = leave torch's setting); 1 avoids "
                "oversubscribing cores when several tournament workers run",
                check=non_negative,
            ),
            Param(
                "search",
                str,
                "auto",
                "tree, or graph: nodes keyed by position so transpositions share statistics, as the original "
                "code's search; auto = tree (see docs/alphazero-speed.md)",
                choices=("auto", "tree", "graph"),
                named_at_default=False,
            ),
            Param(
                "leaf_batch",
                int,
                1,
                "leaves evaluated together per search step, with virtual loss (bttt's search only; 1 = "
                "sequential): batches for one game on a GPU",
                check=_positive,
                named_at_default=False,
            ),
            Param(
                "early_stop",
                bool,
                True,
                "end a move's search once the simulations left cannot change its most visited move (the same "
                "move, fewer network calls); only with temperature=0 and a fresh tree every move (paper=true)",
                named_at_default=False,
            ),
        ),
        "AlphaZero network with PUCT search (checkpoint from 'bttt train' or 'bttt import-keras')",
    )
)
