"""Shared plumbing of the pruning reproductions: a resumable result store, workers, paired statistics.

- :class:`ResultStore`: rows appended (under a file lock, fsynced) to a CSV, keyed by
  ``(arm, seed, cycle)``; a sidecar ``.settings.json`` holds every setting that changes the numbers,
  and a store whose settings differ refuses to open (so a rerun never mixes protocols); finished
  ``(arm, seed)`` runs are listed with their CPU seconds in ``.runs.jsonl`` and skipped on a rerun.
- :func:`run_jobs`: one job per process (``--workers``), each with one torch thread.
- :func:`paired`: per-seed differences with the paper's interval (1.96 sd / sqrt(n)) and a paired
  t-test.
"""

from __future__ import annotations

import csv
import fcntl
import json
import math
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "pruning"
RUNS = ROOT / "runs" / "pruning_repro"


class UsageError(RuntimeError):
    """Bad input or a store written with other settings: printed as one line, exit code 2."""


def parse_seeds(text: str) -> list[int]:
    """``"0-14"``, ``"0,2,5"`` or ``"3"`` -> the seed list."""
    out: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part:
                a, b = part.split("-")
                out.extend(range(int(a), int(b) + 1))
            elif part.strip():
                out.append(int(part))
    except ValueError:
        raise UsageError(f"--seeds takes '0-14' or '0,2,5', got {text!r}") from None
    if not out or min(out) < 0:
        raise UsageError(f"--seeds needs non-negative seeds, got {text!r}")
    return sorted(set(out))


def parse_list(text: str, allowed: Sequence[str], what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        raise UsageError(f"unknown {what} {bad or text!r}; choose from {', '.join(allowed)}")
    return items


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    locks = RUNS / "locks"  # beside the checkpoints, not beside the results in docs/
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / (str(path.resolve()).replace("/", "_") + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class ResultStore:
    """Per-cycle rows of one experiment in ``path`` (CSV) with its settings and finished runs.

    Args:
        path: the CSV file (created with ``fields`` as header).
        settings: everything that determines the numbers (JSON-able); compared on every open.
        fields: the CSV columns, in order; rows must not carry other keys.
    """

    def __init__(self, path: str | Path, settings: dict, fields: Sequence[str]) -> None:
        self.path = Path(path)
        self.fields = list(fields)
        self.settings_path = self.path.with_suffix(".settings.json")
        self.runs_path = self.path.with_suffix(".runs.jsonl")
        want = json.loads(json.dumps(settings, sort_keys=True))
        with _locked(self.path):
            if self.settings_path.exists():
                have = json.loads(self.settings_path.read_text())
                if have != want:
                    diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
                    k = diff[0]
                    raise UsageError(
                        f"{self.path} was written with other settings ({k}: {have.get(k)!r} -> {want.get(k)!r}); "
                        "pass another --out or move the old results away"
                    )
            elif self.path.exists():
                raise UsageError(f"{self.path} exists without {self.settings_path.name}; bttt did not write it")
            else:
                self.settings_path.write_text(json.dumps(want, indent=1, sort_keys=True) + "\n")
            if not self.path.exists():
                with open(self.path, "w", newline="") as f:
                    csv.writer(f).writerow(self.fields)
            else:
                with open(self.path, newline="") as f:
                    header = next(csv.reader(f), [])
                if header != self.fields:
                    raise UsageError(f"{self.path} has other columns; pass another --out")

    def rows(self) -> list[dict]:
        with open(self.path, newline="") as f:
            return list(csv.DictReader(f))

    def stored_keys(self) -> set[tuple[str, int, int]]:
        return {(r["arm"], int(r["seed"]), int(r["cycle"])) for r in self.rows()}

    def append(self, row: dict) -> bool:
        """Append one row unless its ``(arm, seed, cycle)`` is already stored; returns whether written."""
        extra = set(row) - set(self.fields)
        if extra:
            raise KeyError(f"row has columns {sorted(extra)} not in the store's fields")
        key = (str(row["arm"]), int(row["seed"]), int(row["cycle"]))
        with _locked(self.path):
            if key in self.stored_keys():
                return False
            with open(self.path, "a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.fields).writerow({k: _fmt(row.get(k, "")) for k in self.fields})
                f.flush()
                os.fsync(f.fileno())
        return True

    def finished(self) -> dict[tuple[str, int], dict]:
        if not self.runs_path.exists():
            return {}
        out = {}
        for line in self.runs_path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                out[(r["arm"], int(r["seed"]))] = r
        return out

    def finish(self, arm: str, seed: int, **info) -> None:
        with _locked(self.path), open(self.runs_path, "a") as f:
            f.write(json.dumps({"arm": arm, "seed": seed, **info}) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def run_jobs(jobs: Sequence, fn: Callable, workers: int, log: Callable[[str], None] = print) -> None:
    """Run ``fn(job)`` for every job, ``workers`` processes at a time (1 = in this process)."""
    if workers < 1:
        raise UsageError("--workers must be >= 1")
    if workers == 1 or len(jobs) <= 1:
        _init_worker()
        for j in jobs:
            log(fn(j))
        return
    with mp.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
        for msg in pool.imap_unordered(fn, jobs):
            log(msg)


class CpuClock:
    """Process CPU seconds of one run (``time.process_time``), for the documented budget."""

    def __enter__(self) -> CpuClock:
        self.t0 = time.process_time()
        self.w0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.cpu = time.process_time() - self.t0
        self.wall = time.perf_counter() - self.w0


def paired(a: dict[int, float], b: dict[int, float]) -> dict:
    """Paired comparison of ``a - b`` over the seeds present in both.

    Returns n, mean difference, its standard deviation, the paper's half-width 1.96 sd / sqrt(n),
    the 95% Student-t half-width and the two-sided paired t-test p-value.
    """
    from scipy import stats

    seeds = sorted(set(a) & set(b))
    d = [a[s] - b[s] for s in seeds]
    n = len(d)
    if n == 0:
        return {"n": 0}
    m = sum(d) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in d) / (n - 1)) if n > 1 else float("nan")
    out = {"n": n, "mean": m, "sd": sd}
    if n > 1:
        out["ci196"] = 1.96 * sd / math.sqrt(n)
        out["ci_t"] = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        out["p"] = 1.0 if sd == 0 else float(stats.ttest_rel([a[s] for s in seeds], [b[s] for s in seeds]).pvalue)
    return out


def fmt_paired(r: dict, scale: float = 100.0) -> str:
    """``+1.23 ± 0.45 (p=0.01, n=15)`` in points of accuracy (``scale`` 100)."""
    if r.get("n", 0) < 2:
        return f"n={r.get('n', 0)}"
    return f"{scale * r['mean']:+.2f} ± {scale * r['ci196']:.2f} (p={r['p']:.3g}, n={r['n']})"


def group_by(rows: Iterable[dict], *keys: str) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def finished_cpu(docs: Path, prefix: str) -> tuple[int, float]:
    """(finished runs, their CPU seconds) over every ``<prefix>*.runs.jsonl`` in ``docs``."""
    n, cpu = 0, 0.0
    for path in sorted(docs.glob(f"{prefix}*.runs.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                n += 1
                cpu += float(json.loads(line).get("cpu_s", 0.0))
    return n, cpu
