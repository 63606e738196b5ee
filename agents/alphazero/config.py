"""Every hyperparameter of an AlphaZero training run, in one dataclass.

``bttt train`` exposes each field as ``--field-name``; the whole config is stored in
every checkpoint, so a run can be resumed, audited and reproduced from the file
alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from agents.alphazero.augment import check_mode
from agents.alphazero.search import SearchConfig
from bttt.errors import BtttError
from bttt.layouts import BrickDistribution
from bttt.options import option


@dataclass(frozen=True)
class TrainConfig:
    """Every hyperparameter of a training run; each field is a ``bttt train`` option with this help."""

    # --- game and data
    bricks: str = option("D4", "training brick distribution, drawn per game (D4; D3,D4; C3,D3,D4; random; D3+E5)")
    rows: int = option(7, "board rows (3-7)")
    cols: int = option(7, "board columns (3-7)")
    win_length: int = option(4, "stones in a row to win")
    augment: str = option(
        "auto",
        "symmetry augmentation: auto (only transforms that keep a layout in the distribution), paper (the paper's "
        "four flips, which move an off-centre brick), none",
    )
    # --- network
    net: str = option("small", "network preset: small, tiny, medium or paper")
    init_from: str = option("", "warm start: copy this checkpoint's weights (same architecture) before iteration 1")
    # --- self-play
    iterations: int = option(20, "training iterations (self-play, then learning, then a checkpoint)")
    games_per_iteration: int = option(64, "self-play games per iteration")
    parallel_games: int = option(64, "games searched together per worker, sharing each network batch")
    simulations: int = option(48, "PUCT simulations per self-play move")
    c_puct: float = option(1.5, "PUCT exploration constant")
    dirichlet_alpha: float = option(0.3, "Dirichlet noise concentration at self-play roots")
    noise_fraction: float = option(0.25, "share of the root prior replaced by Dirichlet noise in self-play")
    fpu_mode: str = option(
        "absolute", "Q of unvisited children: absolute (fpu-value) or relative (parent's Q minus fpu-reduction)"
    )
    fpu_value: float = option(0.0, "Q of unvisited children with --fpu-mode absolute")
    fpu_reduction: float = option(0.25, "reduction below the parent's Q with --fpu-mode relative")
    paper_rule: bool = option(False, "use the original code's PUCT selection rule in self-play")
    win_check: bool = option(True, "search shortcut: a leaf with a win in one (or facing a double threat) is proven")
    # Keep it small: with 6, player 2 played its first 3 moves by sampling, never blocked an early open three, and
    # self-play games collapsed to 7-9 plies won by player 1.
    temperature_moves: int = option(2, "plies sampled from the visit counts before playing the most visited move")
    # --- learning
    replay_capacity: int = option(40_000, "positions kept in the replay buffer")
    batch_size: int = option(256, "positions per gradient step")
    train_steps: int = option(60, "gradient steps per iteration")
    min_replay: int = option(512, "no gradient step before the buffer holds this many positions")
    optimizer: str = option("adam", "adam, or sgd (momentum 0.9)")
    lr: float = option(2e-3, "learning rate")
    weight_decay: float = option(1e-4, "L2 penalty added to the gradient")
    value_weight: float = option(1.0, "weight of the value loss beside the policy loss")
    # --- periodic evaluation (0 disables)
    eval_every: int = option(5, "evaluate every N iterations (0 disables)")
    eval_games: int = option(4, "evaluation games per layout and colour")
    eval_opponents: str = option(
        "random,mcts:preset=paper", "agents to evaluate against, separated by ; or by , before a new agent ('' none)"
    )
    eval_novel: int = option(2, "novel brick cells (from unseen symmetry orbits) evaluated beside the training ones")
    eval_simulations: int = option(48, "PUCT simulations per move in evaluation games")
    snapshot_every: int = option(0, "also keep the playable network every N iterations in snapshots/ (0: none)")
    # --- system
    seed: int = option(0, "seed of every random choice in the run")
    device: str = option("auto", "auto (CUDA if present), cpu, cuda or cuda:N")
    workers: int = option(1, "self-play jobs per iteration, each a worker process (or Ray task) with a CPU copy")
    backend: str = option("local", "where self-play jobs run: local processes, or ray (as bttt tournament)")
    address: str = option("", "Ray cluster address for --backend ray ('' starts a local Ray instance)")
    threads: int = option(1, "torch threads in the learner (more than 1 on a busy CPU can be 10-100x slower)")

    def __post_init__(self) -> None:
        check_mode(self.augment)
        if self.backend not in ("local", "ray"):
            raise BtttError(f"--backend={self.backend!r}: choose local or ray")
        self.distribution()  # validates the spec
        positive = (
            "iterations",
            "games_per_iteration",
            "parallel_games",
            "replay_capacity",
            "batch_size",
            "workers",
            "threads",
        )
        for name in positive:
            if getattr(self, name) < 1 and not (name == "iterations" and self.iterations == 0):
                raise BtttError(f"--{name.replace('_', '-')}={getattr(self, name)}: must be at least 1")
        for name in (
            "train_steps",
            "min_replay",
            "eval_every",
            "eval_games",
            "eval_novel",
            "temperature_moves",
            "eval_simulations",
            "snapshot_every",
        ):
            if getattr(self, name) < 0:
                raise BtttError(f"--{name.replace('_', '-')}={getattr(self, name)}: must be zero or more")
        if self.simulations < 1:
            raise BtttError("--simulations must be at least 1 for self-play (the search makes the policy targets)")
        if self.optimizer not in ("adam", "sgd"):
            raise BtttError(f"--optimizer={self.optimizer!r}: choose adam or sgd")
        if self.lr <= 0:
            raise BtttError(f"--lr={self.lr}: must be positive")
        self.search_config()  # validates search settings

    def distribution(self) -> BrickDistribution:
        return BrickDistribution.parse(self.bricks, self.rows, self.cols)

    def search_config(self, simulations: int | None = None) -> SearchConfig:
        return SearchConfig(
            simulations=self.simulations if simulations is None else simulations,
            c_puct=self.c_puct,
            dirichlet_alpha=self.dirichlet_alpha,
            noise_fraction=self.noise_fraction,
            paper_rule=self.paper_rule,
            reuse_tree=True,
            fpu_reduction=self.fpu_reduction,
            fpu_mode=self.fpu_mode,
            fpu_value=self.fpu_value,
            win_check=self.win_check,
        )

    def opponents(self) -> list[str]:
        """The evaluation opponents as agent specs (split on ';', or on ',' before a new agent name)."""
        text = self.eval_opponents.strip()
        if not text:
            return []
        if ";" in text:
            return [p.strip() for p in text.split(";") if p.strip()]
        specs: list[str] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if specs and "=" in part and ":" not in part:
                specs[-1] += "," + part  # a parameter of the previous spec
            else:
                specs.append(part)
        return specs

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise BtttError(f"training configuration has unknown fields {', '.join(unknown)}")
        return cls(**d)
