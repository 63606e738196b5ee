"""The iterative DropNet driver: train, score, prune, rewind, repeat; checkpointed and resumable.

Cycle 0 trains the unpruned network; each later cycle trains the network left by the previous
prune step. After each training the driver evaluates, records a report row (units, parameters,
MACs, CPU latency, task metrics), checks the stopping targets, then scores the remaining units,
removes the lowest-scoring fraction (masks or physical removal) and resets the weights
(``rewind``: ``init`` = the paper's default, ``early`` = the weights after ``rewind_epoch``
epochs of cycle 0, ``reinit`` = fresh random weights, ``continue`` = keep training).

The user supplies ``train_fn(model, info)`` (it builds its own optimizer over
``model.parameters()`` each cycle, so physical removal just works, and should get its learning
rate from ``info.scheduler(optimizer, total_steps)``) and ``eval_fn(model) -> dict``.
With ``checkpoint_dir`` every phase is saved atomically and ``run()`` resumes where it stopped.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from pruning.checkpoint_io import atomic_save, load
from pruning.groups import UnitGroup
from pruning.masks import Alive, Masker, count_alive, full_alive
from pruning.metrics import count_macs, count_params, cpu_latency_ms
from pruning.schedules import Schedule
from pruning.scores import score_units
from pruning.selection import select_removal
from pruning.surgery import shrink

REWINDS = ("init", "early", "reinit", "continue")
APPLY = ("mask", "shrink")
FORMAT = "bttt-pruning-run/1"


class PruningRunError(RuntimeError):
    """A pruning run that cannot start or resume (wrong checkpoint folder, missing snapshot)."""


@dataclass(frozen=True)
class PruneConfig:
    """What to prune, how much per cycle, and when to stop."""

    criterion: str = "dropnet"
    fraction: float = 0.2
    mode: str = "minimum"
    min_units: int = 1
    apply: str = "mask"
    rewind: str = "init"
    rewind_epoch: int = 1
    cycles: int = 10
    target_units: float | None = None
    target_params: float | None = None
    target_macs: float | None = None
    target_groups: tuple[tuple[str, float], ...] | None = None  # never pruned below ceil(t*size)
    metric: str | None = None
    metric_tolerance: float | None = None
    higher_is_better: bool = True
    sparsity_measure: str = "params"
    seed: int = 0
    latency: bool = True
    score_batches: int | None = None

    def __post_init__(self) -> None:
        if self.apply not in APPLY:
            raise ValueError(f"apply must be one of {APPLY}, got {self.apply!r}")
        if self.rewind not in REWINDS:
            raise ValueError(f"rewind must be one of {REWINDS}, got {self.rewind!r}")
        if (self.metric is None) != (self.metric_tolerance is None):
            raise ValueError("metric and metric_tolerance go together")
        if self.sparsity_measure not in ("params", "units"):
            raise ValueError("sparsity_measure must be 'params' or 'units'")


@dataclass
class CycleInfo:
    """Handed to ``train_fn`` each cycle."""

    cycle: int
    sparsity_history: list[float]
    schedule: Schedule | None
    _on_epoch: Callable[[nn.Module, int], None] = field(repr=False, default=lambda m, e: None)

    @property
    def sparsity(self) -> float:
        return self.sparsity_history[-1]

    @property
    def max_lr(self) -> float | None:
        return None if self.schedule is None else self.schedule.peak(self.cycle, self.sparsity_history)

    def scheduler(self, optimizer: torch.optim.Optimizer, total_steps: int):
        """This cycle's LR scheduler (step it once per optimisation step)."""
        if self.schedule is None:
            raise ValueError("no Schedule was given to the pruner")
        return self.schedule.build(optimizer, total_steps, self.cycle, self.sparsity_history)

    def epoch_end(self, model: nn.Module, epoch: int) -> None:
        """Call after each epoch (1-based) so rewind='early' can snapshot cycle 0's weights."""
        self._on_epoch(model, epoch)


@dataclass
class PruneResult:
    """The pruned model (with ``apply="mask"`` it is full size and still carries the mask hooks;
    with ``"shrink"`` it is physically smaller), its groups, kept units and the report rows."""

    model: nn.Module
    groups: list[UnitGroup]
    alive: Alive
    rows: list[dict]
    stop_reason: str


class IterativePruner:
    """Run DropNet (or a baseline criterion) for several train/prune cycles on any ``nn.Module``."""

    def __init__(
        self,
        model: nn.Module,
        groups: Sequence[UnitGroup],
        train_fn: Callable[[nn.Module, CycleInfo], None],
        eval_fn: Callable[[nn.Module], dict],
        score_loader: Iterable | None,
        example_input: torch.Tensor,
        config: PruneConfig = PruneConfig(),
        schedule: Schedule | None = None,
        checkpoint_dir: str | Path | None = None,
        tags: dict | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.groups = list(groups)
        self.train_fn, self.eval_fn = train_fn, eval_fn
        self.score_loader = score_loader
        self.example = example_input[:1]
        self.schedule = schedule
        self.dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.tags = dict(tags or {})
        self.log = log or (lambda s: None)
        names = {g.name for g in self.groups}
        for n, _ in config.target_groups or ():
            if n not in names:
                raise ValueError(f"target group {n!r} is not one of {sorted(names)}")
        self.initial = copy.deepcopy(model)  # full-size weights at the start
        self.early: dict | None = None
        self.model = model
        self.masker: Masker | None = None
        self.cur_groups = list(self.groups)
        self.alive = full_alive(self.groups)
        self.total_units = count_alive(self.alive)
        self.rows: list[dict] = []
        self.history: list[float] = []
        self.best: dict | None = None
        self.base = {"params": count_params(model), "macs": count_macs(model, self.example)}

    # ---------------------------------------------------------------- model state
    def _physical(self) -> nn.Module:
        if self.config.apply == "shrink":
            return self.model
        if self.masker is not None:  # copy without the mask hooks, then put them back
            self.masker.remove()
        m = copy.deepcopy(self.model)
        if self.masker is not None:
            self.masker = Masker(self.model, self.groups, self.alive)
        shrink(m, self.groups, self.alive)
        return m

    def _install(self, weights: nn.Module | None) -> None:
        """Make ``self.model`` the pruned version of ``weights`` (full size) or of itself."""
        if self.config.apply == "mask":
            if weights is not None:
                self.model.load_state_dict(weights.state_dict())
            if self.masker is None:
                self.masker = Masker(self.model, self.groups, self.alive)
            self.masker.update(self.alive)
            return
        if weights is not None:
            self.model = copy.deepcopy(weights)
            self.cur_groups = shrink(self.model, self.groups, self.alive)
        else:  # continue: shrink the current model by the newly removed units
            rel = {}
            for g in self.groups:
                old = self._cur_alive_orig[g.name]
                rel[g.name] = self.alive[g.name][old]
            self.cur_groups = shrink(self.model, self.cur_groups, rel)
        self._cur_alive_orig = {k: torch.nonzero(v).flatten() for k, v in self.alive.items()}

    def _rewind_source(self, cycle: int) -> nn.Module | None:
        r = self.config.rewind
        if r == "continue":
            return None
        if r == "early":
            if self.early is None:
                raise PruningRunError(
                    "rewind='early' needs train_fn to call info.epoch_end(model, "
                    f"epoch) in cycle 0 up to epoch {self.config.rewind_epoch}"
                )
            m = copy.deepcopy(self.initial)
            m.load_state_dict(self.early)
            return m
        m = copy.deepcopy(self.initial)
        if r == "reinit":
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.config.seed * 1000 + cycle)
                for sub in m.modules():
                    if hasattr(sub, "reset_parameters"):
                        sub.reset_parameters()
        return m

    # ---------------------------------------------------------------- checkpoints
    def _save(self, cycle: int, phase: str, done: str = "") -> None:
        if self.dir is None:
            return
        atomic_save(
            {
                "format": FORMAT,
                "cycle": cycle,
                "phase": phase,
                "done": done,
                "config": dataclasses.asdict(self.config),
                "groups": [g.to_dict() for g in self.groups],
                "alive": self.alive,
                "rows": self.rows,
                "history": self.history,
                "model": self.model.state_dict(),
                "early": self.early,
                "best": self.best,
            },
            self.dir / "state.pt",
        )

    def _resume(self) -> tuple[int, str, str]:
        if self.dir is None:
            return 0, "start", ""
        init_path = self.dir / "init.pt"
        if not init_path.exists():
            atomic_save(self.initial.state_dict(), init_path)
            return 0, "start", ""
        self.initial.load_state_dict(load(init_path))
        if not (self.dir / "state.pt").exists():
            self.model.load_state_dict(self.initial.state_dict())
            return 0, "start", ""
        st = load(self.dir / "state.pt")
        if not isinstance(st, dict) or st.get("format") != FORMAT:
            raise PruningRunError(f"{self.dir / 'state.pt'} is not a pruning run checkpoint")
        if [g.to_dict() for g in self.groups] != st["groups"]:
            raise PruningRunError(f"{self.dir} was written for different unit groups; use a new folder")
        self.alive = {k: v.clone() for k, v in st["alive"].items()}
        self.rows, self.history = list(st["rows"]), list(st["history"])
        self.early, self.best = st["early"], st["best"]
        self._cur_alive_orig = {k: torch.arange(v.numel()) for k, v in self.alive.items()}
        self._install(self.initial)
        self.model.load_state_dict(st["model"])
        self.log(f"resumed at cycle {st['cycle']} ({st['phase']})")
        return int(st["cycle"]), st["phase"], st["done"]

    # ---------------------------------------------------------------- reporting
    def _measure(self, cycle: int, metrics: dict, max_lr: float | None) -> dict:
        phys = self._physical()
        units = count_alive(self.alive)
        params, macs = count_params(phys), count_macs(phys, self.example)
        row = {
            **self.tags,
            "cycle": cycle,
            "units": units,
            "units_frac": units / self.total_units,
            "params": params,
            "params_frac": params / self.base["params"],
            "macs": macs,
            "macs_frac": macs / self.base["macs"],
            "sparsity": self.history[-1],
            "max_lr": max_lr,
            **{f"n:{k}": int(v.sum()) for k, v in self.alive.items()},
        }
        if self.config.latency:
            row["latency_b1_ms"] = cpu_latency_ms(phys, self.example, 1)
            row["latency_b64_ms"] = cpu_latency_ms(phys, self.example, 64)
        row.update({k: float(v) for k, v in metrics.items()})
        return row

    def _sparsity(self) -> float:
        if self.config.sparsity_measure == "units":
            return 1.0 - count_alive(self.alive) / self.total_units
        return 1.0 - count_params(self._physical()) / self.base["params"]

    def _stop(self, cycle: int, row: dict) -> str:
        c = self.config
        if c.metric is not None:
            base = self.rows[0][c.metric]
            ok = (
                row[c.metric] >= c.metric_tolerance * base
                if c.higher_is_better
                else row[c.metric] <= base / c.metric_tolerance
            )
            if not ok:
                return f"{c.metric} fell below {c.metric_tolerance} of the unpruned model's"
            self.best = {
                "alive": {k: v.clone() for k, v in self.alive.items()},
                "model": copy.deepcopy(self.model.state_dict()),
                "cycle": cycle,
            }
        if c.target_groups and all(int(self.alive[n].sum()) <= self._floor(n, t) for n, t in c.target_groups):
            return "every targeted group reached its target size"
        for key, target in (
            ("units_frac", c.target_units),
            ("params_frac", c.target_params),
            ("macs_frac", c.target_macs),
        ):
            if target is not None and row[key] <= target:
                return f"{key} reached {row[key]:.3f} <= {target}"
        if cycle >= c.cycles:
            return f"ran {c.cycles} pruning cycles"
        if all(int(a.sum()) <= c.min_units for a in self.alive.values()):
            return "every group is at its minimum size"
        return ""

    # ---------------------------------------------------------------- main loop
    def run(self) -> PruneResult:
        cycle, phase, done = self._resume()
        if phase == "start":
            self._cur_alive_orig = {k: torch.arange(v.numel()) for k, v in self.alive.items()}
            self._install(None)
        while not done:
            if phase in ("start", "pruned"):
                if len(self.history) <= cycle:
                    self.history.append(self._sparsity())
                info = CycleInfo(cycle, list(self.history), self.schedule, self._on_epoch)
                self.train_fn(self.model, info)
                row = self._measure(cycle, self.eval_fn(self.model), info.max_lr)
                self.rows.append(row)
                self.log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
                done = self._stop(cycle, row)
                phase = "trained"
                self._save(cycle, phase, done)
            if done:
                break
            self._prune(cycle)
            cycle += 1
            phase = "pruned"
            self._save(cycle, phase)
        return self._result(done)

    def _on_epoch(self, model: nn.Module, epoch: int) -> None:
        if self.config.rewind == "early" and not self.rows and epoch == self.config.rewind_epoch:
            self.early = copy.deepcopy(model.state_dict())

    def _floor(self, name: str, target: float) -> int:
        return math.ceil(target * self.alive[name].numel() - 1e-9)

    def _prune(self, cycle: int) -> None:
        c = self.config
        loader = self.score_loader
        raw = score_units(
            c.criterion,
            self.model,
            self.cur_groups,
            loader,
            seed=c.seed * 7919 + cycle,
            **({"max_batches": c.score_batches} if c.criterion in ("dropnet", "apoz") else {}),
        )
        scores = {}
        for g in self.groups:
            full = torch.full((g.size,), float("inf"))
            idx = self._cur_alive_orig[g.name] if c.apply == "shrink" else torch.arange(g.size)
            full[idx] = raw[g.name].float()
            scores[g.name] = full
        floors = {g.name: c.min_units for g in self.groups}
        for n, t in c.target_groups or ():  # a targeted group stops exactly at its target
            floors[n] = max(c.min_units, self._floor(n, t))
        self.alive = select_removal(scores, self.alive, c.fraction, c.mode, floors, seed=c.seed * 104729 + cycle)
        self._install(self._rewind_source(cycle + 1))

    def _result(self, reason: str) -> PruneResult:
        if self.config.metric is not None and self.best is not None and self.best["cycle"] != self.rows[-1]["cycle"]:
            self.alive = {k: v.clone() for k, v in self.best["alive"].items()}
            self._cur_alive_orig = {k: torch.arange(v.numel()) for k, v in self.alive.items()}
            self._install(self.initial)
            self.model.load_state_dict(self.best["model"])
        groups = self.cur_groups if self.config.apply == "shrink" else self.groups
        return PruneResult(self.model, list(groups), self.alive, self.rows, reason)
