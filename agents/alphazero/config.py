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


@dataclass(frozen=True)
class TrainConfig:
    # --- game and data
    bricks: str = "D4"  # BrickDistribution spec: "D4", "D3,D4", "C3,D3,D4", "random", "D3+E5"
    rows: int = 7
    cols: int = 7
    win_length: int = 4
    augment: str = "auto"  # auto (keep layouts in the distribution) | paper (4 flips) | none
    # --- network
    net: str = "small"  # NetConfig preset name (agents.alphazero.network.PRESETS)
    init_from: str = ""  # warm start: copy the weights of this checkpoint (same architecture) before iteration 1
    # --- self-play
    iterations: int = 20
    games_per_iteration: int = 64
    parallel_games: int = 64  # games searched together (one network batch per step), per worker
    simulations: int = 48
    c_puct: float = 1.5
    dirichlet_alpha: float = 0.3
    noise_fraction: float = 0.25
    fpu_mode: str = "absolute"  # unvisited children's Q: fpu_value (absolute) or parent Q - fpu_reduction
    fpu_value: float = 0.0
    fpu_reduction: float = 0.25
    paper_rule: bool = False
    win_check: bool = True  # search shortcut: a leaf with a win in one is a proven win (no network call)
    # Sample moves by visit count for this many plies, then play the most visited. Keep it small: with 6,
    # player 2 played its first 3 moves by sampling, never blocked an early open three, and self-play
    # games collapsed to 7-9 plies won by player 1.
    temperature_moves: int = 2
    # --- learning
    replay_capacity: int = 40_000
    batch_size: int = 256
    train_steps: int = 60  # gradient steps per iteration
    min_replay: int = 512  # no gradient step before the buffer holds this many positions
    optimizer: str = "adam"  # adam | sgd (momentum 0.9)
    lr: float = 2e-3
    weight_decay: float = 1e-4  # L2 penalty (added to the gradient)
    value_weight: float = 1.0
    # --- periodic evaluation (0 disables)
    eval_every: int = 5
    eval_games: int = 4  # games per layout per colour
    eval_opponents: str = "random,mcts:preset=paper"  # ';' or ',' separated agent specs (',' inside specs is ok)
    eval_novel: int = 2  # novel single-brick cells (one per unseen symmetry orbit) evaluated too
    eval_simulations: int = 48
    # --- system
    seed: int = 0
    device: str = "auto"
    workers: int = 1  # self-play jobs per iteration, each in its own process (or Ray task)
    backend: str = "local"  # "local" worker processes, or "ray" (the same Ray cluster tournaments use)
    address: str = ""  # Ray cluster address for --backend ray ('' starts a local Ray instance)
    threads: int = 1  # torch threads in the learner; more than 1 on a busy CPU can be 10-100x slower (OpenMP spin)

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
