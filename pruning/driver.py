"""The iterative DropNet driver: train, score, prune, rewind, repeat; checkpointed and resumable.

Cycle 0 trains the unpruned network; each later cycle trains the network left by the previous
prune step. After each training the driver evaluates, records a report row (units, parameters,
MACs, CPU latency, task metrics), checks the stopping targets, then scores the remaining units,
removes the lowest-scoring fraction (masks or physical removal) and resets the weights
(``rewind``: ``init`` = the paper's default, ``early`` = the weights after ``rewind_epoch``
epochs of cycle 0, ``reinit`` = fresh random weights, ``continue`` = keep training).

``granularity="units"`` (default) removes hidden units (Linear features, Conv filters) by masks or
physical removal; ``granularity="weights"`` removes individual weights by masks (unstructured,
iterative magnitude pruning by default), selected globally or per layer (``scope``), with the same
rewinds, stops, checkpoints and resume. Criteria are strings or :class:`pruning.criteria.Criterion`
objects.

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
from pathlib import Path

import torch
from torch import nn

from pruning.checkpoint_io import atomic_save, load
from pruning.config import CycleInfo, PruneConfig, PruneResult, PruningRunError
from pruning.criteria import Criterion, criterion_name, resolve_criterion
from pruning.groups import UnitGroup
from pruning.masks import Masker, count_alive, full_alive
from pruning.metrics import count_macs, count_params, cpu_latency_ms
from pruning.schedules import Schedule
from pruning.scores import score_units
from pruning.selection import select_removal
from pruning.surgery import shrink
from pruning.weights import (
    WeightMasker,
    WeightMasks,
    count_kept,
    full_masks,
    prunable_weights,
    select_weights,
    weight_sparsity,
)

FORMAT = "bttt-pruning-run/1"


class IterativePruner:
    """Run DropNet (or a baseline criterion) for several train/prune cycles on any ``nn.Module``."""

    def __init__(
        self,
        model: nn.Module,
        groups: Sequence[UnitGroup] | None,
        train_fn: Callable[[nn.Module, CycleInfo], None],
        eval_fn: Callable[[nn.Module], dict],
        score_loader: Iterable | None,
        example_input: torch.Tensor,
        config: PruneConfig | None = None,
        schedule: Schedule | None = None,
        checkpoint_dir: str | Path | None = None,
        tags: dict | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        config = config if config is not None else PruneConfig()
        self.config = config
        self.groups = list(groups or [])
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
        self.criterion = resolve_criterion(config.criterion, config.granularity)
        self.weights_mode = config.granularity == "weights"
        if self.weights_mode:
            self.groups = []
        self.initial = copy.deepcopy(model)  # full-size weights at the start
        self.early: dict | None = None
        self.model = model
        self.masker: Masker | None = None
        self.wmasker: WeightMasker | None = None
        wmods = list(config.weight_modules) if config.weight_modules is not None else None
        self.weight_shapes = (
            {k: tuple(w.shape) for k, w in prunable_weights(model, wmods).items()} if self.weights_mode else {}
        )
        self.wmasks: WeightMasks = full_masks({k: torch.empty(v) for k, v in self.weight_shapes.items()})
        self.total_weights = sum(m.numel() for m in self.wmasks.values())
        self.cur_groups = list(self.groups)
        self.alive = full_alive(self.groups)
        self.total_units = count_alive(self.alive)
        self.rows: list[dict] = []
        self.history: list[float] = []
        self.best: dict | None = None
        self.base = {"params": count_params(model), "macs": count_macs(model, self.example)}

    # ---------------------------------------------------------------- model state
    def _physical(self) -> nn.Module:
        if self.config.apply == "shrink" or self.weights_mode:
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
        if self.weights_mode:
            if weights is not None:
                self.model.load_state_dict(weights.state_dict())
            if self.wmasker is None:
                self.wmasker = WeightMasker(self.model, self.wmasks)
            self.wmasker.update(self.wmasks)
            return
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
                "config": self._config_dict(),
                "groups": [g.to_dict() for g in self.groups],
                "weight_shapes": {k: list(v) for k, v in self.weight_shapes.items()},
                "alive": self.alive,
                "weight_masks": self.wmasks,
                "rows": self.rows,
                "history": self.history,
                "model": self.model.state_dict(),
                "early": self.early,
                "best": self.best,
            },
            self.dir / "state.pt",
        )

    @staticmethod
    def _load(path: Path):
        try:
            return load(path)
        except Exception as exc:  # noqa: BLE001 - torch raises many types for a damaged or foreign file
            raise PruningRunError(f"{path} cannot be read ({type(exc).__name__}); use a new folder") from None

    def _resume(self) -> tuple[int, str, str]:
        if self.dir is None:
            return 0, "start", ""
        init_path = self.dir / "init.pt"
        if not init_path.exists():
            atomic_save(self.initial.state_dict(), init_path)
            return 0, "start", ""
        self.initial.load_state_dict(self._load(init_path))
        if not (self.dir / "state.pt").exists():
            self.model.load_state_dict(self.initial.state_dict())
            return 0, "start", ""
        st = self._load(self.dir / "state.pt")
        if not isinstance(st, dict) or st.get("format") != FORMAT:
            raise PruningRunError(f"{self.dir / 'state.pt'} is not a pruning run checkpoint")
        if [g.to_dict() for g in self.groups] != st["groups"]:
            raise PruningRunError(f"{self.dir} was written for different unit groups; use a new folder")
        if {k: list(v) for k, v in self.weight_shapes.items()} != st.get("weight_shapes", {}):
            raise PruningRunError(f"{self.dir} was written for different prunable weights; use a new folder")
        self.alive = {k: v.clone() for k, v in st["alive"].items()}
        self.wmasks = {k: v.clone() for k, v in st.get("weight_masks", self.wmasks).items()}
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
            "units_frac": units / self.total_units if self.total_units else 1.0,
            "params": params,
            "params_frac": params / self.base["params"],
            "macs": macs,
            "macs_frac": macs / self.base["macs"],
            "sparsity": self.history[-1],
            "max_lr": max_lr,
            **{f"n:{k}": int(v.sum()) for k, v in self.alive.items()},
        }
        if self.weights_mode:
            kept = count_kept(self.wmasks)
            row["weights"] = kept
            row["weights_frac"] = kept / self.total_weights
            row["nonzero_params"] = params - (self.total_weights - kept)
        if self.config.latency:
            row["latency_b1_ms"] = cpu_latency_ms(phys, self.example, 1)
            row["latency_b64_ms"] = cpu_latency_ms(phys, self.example, 64)
        row.update({k: float(v) for k, v in metrics.items()})
        return row

    def _sparsity(self) -> float:
        if self.weights_mode:
            return weight_sparsity(self.wmasks)
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
                "weight_masks": {k: v.clone() for k, v in self.wmasks.items()},
                "model": copy.deepcopy(self.model.state_dict()),
                "cycle": cycle,
            }
        if c.target_groups and all(int(self.alive[n].sum()) <= self._floor(n, t) for n, t in c.target_groups):
            return "every targeted group reached its target size"
        for key, target in (
            ("units_frac", c.target_units),
            ("params_frac", c.target_params),
            ("macs_frac", c.target_macs),
            ("weights_frac", c.target_weights),
        ):
            if target is not None and row[key] <= target:
                return f"{key} reached {row[key]:.3f} <= {target}"
        if cycle >= c.cycles:
            return f"ran {c.cycles} pruning cycles"
        if not self.weights_mode and all(int(a.sum()) <= c.min_units for a in self.alive.values()):
            return "every group is at its minimum size"
        if self.weights_mode and all(int(m.sum()) <= 1 for m in self.wmasks.values()):
            return "every layer is at its minimum size"
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
                info = CycleInfo(
                    cycle,
                    list(self.history),
                    self.schedule,
                    self._on_epoch,
                    alive=None if self.weights_mode else {k: v.clone() for k, v in self.alive.items()},
                    weight_masks={k: v.clone() for k, v in self.wmasks.items()} if self.weights_mode else None,
                )
                self.train_fn(self.model, info)
                if self.wmasker is not None:
                    self.wmasker.apply()  # exact zeros before evaluating and saving
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

    def _config_dict(self) -> dict:
        d = {f.name: copy.deepcopy(getattr(self.config, f.name)) for f in dataclasses.fields(self.config)}
        d["criterion"] = criterion_name(self.config.criterion)  # a name, never a pickled object
        return d

    def _prune_weights(self, cycle: int) -> None:
        c = self.config
        params = dict(self.model.named_parameters())
        targets = {k: params[k] for k in self.weight_shapes}
        loader = self.score_loader if self.criterion.needs_data else None
        if self.criterion.needs_data and loader is None:
            raise PruningRunError(f"criterion {self.criterion.name!r} needs score_loader")
        scores = self.criterion(self.model, targets, loader, seed=c.seed * 7919 + cycle, max_batches=c.score_batches)
        self.wmasks = select_weights(scores, self.wmasks, c.fraction, c.scope, seed=c.seed * 104729 + cycle)
        self._install(self._rewind_source(cycle + 1))

    def _prune(self, cycle: int) -> None:
        c = self.config
        if self.weights_mode:
            self._prune_weights(cycle)
            return
        loader = self.score_loader
        if isinstance(c.criterion, Criterion):
            raw = self.criterion(
                self.model,
                self.cur_groups,
                loader if self.criterion.needs_data else None,
                seed=c.seed * 7919 + cycle,
                max_batches=c.score_batches,
            )
        else:  # the shorthand strings keep their original call (same scores, same seeds)
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
            self.wmasks = {k: v.clone() for k, v in self.best.get("weight_masks", self.wmasks).items()}
            self._cur_alive_orig = {k: torch.arange(v.numel()) for k, v in self.alive.items()}
            self._install(self.initial)
            self.model.load_state_dict(self.best["model"])
        groups = self.cur_groups if self.config.apply == "shrink" else self.groups
        return PruneResult(self.model, list(groups), self.alive, self.rows, reason, dict(self.wmasks))
