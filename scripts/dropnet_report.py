"""Summary of the DropNet reproduction: tables, paired differences, the paper's claims, plots.

Reads ``docs/pruning/dropnet_<task>.csv`` (and ``..._oracle.csv``), writes
``docs/pruning/dropnet_summary.md`` and ``dropnet_<task>.png``. Intervals are the paper's
1.96 sd / sqrt(n) over seeds; "significant" is a two-sided paired t-test at p < 0.05 over the seeds
that finished that cycle in both arms.
"""

from __future__ import annotations

from pathlib import Path

from pruning_repro import finished_cpu, fmt_paired, paired

from pruning.report import plot_metric

ARM_ORDER = ("min", "min_layer", "random", "random_layer", "max", "max_layer", "reinit")


def _load(path: Path) -> list[dict]:
    import csv

    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["seed"], r["cycle"] = int(r["seed"]), int(r["cycle"])
        for k in ("units_frac", "test_acc", "val_acc", "train_loss", "test_loss"):
            r[k] = float(r[k])
    return rows


def _by(rows, arm) -> dict[int, dict[int, dict]]:
    """{cycle: {seed: row}} of one arm."""
    out: dict[int, dict[int, dict]] = {}
    for r in rows:
        if r["arm"] == arm:
            out.setdefault(r["cycle"], {})[r["seed"]] = r
    return out


def _acc(cells: dict[int, dict]) -> dict[int, float]:
    return {s: r["test_acc"] for s, r in cells.items()}


def _mean_ci(vals: list[float]) -> str:
    n = len(vals)
    m = sum(vals) / n
    if n < 2:
        return f"{m:.3f}"
    sd = (sum((v - m) ** 2 for v in vals) / (n - 1)) ** 0.5
    return f"{m:.3f} ± {1.96 * sd / n**0.5:.3f}"


def _sig(r: dict) -> int:
    """+1 significantly positive, -1 significantly negative, 0 not decided."""
    if r.get("n", 0) < 3 or r.get("p", 1.0) >= 0.05:
        return 0
    return 1 if r["mean"] > 0 else -1


def task_section(task: str, rows: list[dict]) -> tuple[list[str], dict]:
    arms = [a for a in ARM_ORDER if any(r["arm"] == a for r in rows)]
    data = {a: _by(rows, a) for a in arms}
    seeds_done = {a: len({r["seed"] for r in rows if r["arm"] == a}) for a in arms}
    dense = _acc(data["min"][0]) if "min" in data and 0 in data["min"] else {}
    lines = [f"### {task}", ""]
    lines.append("Seeds with rows, per arm: " + ", ".join(f"{a} {seeds_done[a]}" for a in arms) + ".")
    lines.append("")
    cycles = sorted(data["min"]) if "min" in data else []
    lines.append("| cycle | units left (min) | " + " | ".join(arms) + " |")
    lines.append("| --- | --- | " + " | ".join("---" for _ in arms) + " |")
    for c in cycles:
        cells = []
        for a in arms:
            cell = data[a].get(c, {})
            cells.append(_mean_ci([r["test_acc"] for r in cell.values()]) if cell else "-")
        frac = sum(r["units_frac"] for r in data["min"][c].values()) / len(data["min"][c])
        lines.append(f"| {c} | {frac:.3f} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Paired differences of test accuracy, in points (mean ± 1.96 sd/sqrt(n), paired t-test p, n seeds):")
    lines.append("")
    lines.append(
        "| cycle | units left | min - dense | min - random | min_layer - random_layer | reinit - min | max - random |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    verdict = {"no_loss": [], "vs_random": [], "reinit": []}
    for c in cycles[1:]:
        frac = sum(r["units_frac"] for r in data["min"][c].values()) / len(data["min"][c])
        m = _acc(data["min"][c])

        def cmp(a: str, b: str | None, m=m, c=c) -> dict:
            left = m if a == "min" else _acc(data.get(a, {}).get(c, {}))
            right = dense if b is None else _acc(data.get(b, {}).get(c, {}))
            return paired(left, right)

        d_dense, d_rand = cmp("min", None), cmp("min", "random")
        d_layer, d_reinit, d_max = cmp("min_layer", "random_layer"), cmp("reinit", "min"), cmp("max", "random")
        verdict["no_loss"].append((c, frac, d_dense))
        verdict["vs_random"].append((c, frac, d_rand, d_layer))
        verdict["reinit"].append((c, frac, d_reinit))
        lines.append(
            f"| {c} | {frac:.3f} | {fmt_paired(d_dense)} | {fmt_paired(d_rand)} | {fmt_paired(d_layer)} | "
            f"{fmt_paired(d_reinit)} | {fmt_paired(d_max)} |"
        )
    lines.append("")
    return lines, verdict


def claims(verdicts: dict[str, dict], conv_tasks: set[str]) -> list[str]:
    out = ["## The paper's claims, as these data allow", ""]
    for task, v in verdicts.items():
        kind = "filters" if task in conv_tasks else "nodes"
        ok = [(c, f, d) for c, f, d in v["no_loss"] if d.get("n", 0) >= 3 and _sig(d) >= 0]
        deepest_ok = None
        for c, f, d in v["no_loss"]:  # the deepest cycle up to which no cycle lost significantly
            if d.get("n", 0) < 3 or _sig(d) < 0:
                break
            deepest_ok = (c, f, d)
        n = max((d.get("n", 0) for _, _, d in v["no_loss"]), default=0)
        if n < 3:
            out.append(f"- **{task}**: fewer than 3 seeds finished: not decided.")
            continue
        if deepest_ok:
            c, f, d = deepest_ok
            first_loss = next(((c2, f2, d2) for c2, f2, d2 in v["no_loss"] if c2 > c), None)
            out.append(
                f"- **{task}**: DropNet (min) removes {100 * (1 - f):.0f}% of the {kind} (cycle {c}) with no "
                f"significant loss against dense at that cycle or before ({fmt_paired(d)} points)"
                + (
                    f"; the next cycle ({100 * (1 - first_loss[1]):.0f}% removed) loses {fmt_paired(first_loss[2])}."
                    if first_loss
                    else "."
                )
            )
        elif ok:
            out.append(f"- **{task}**: a significant loss already at the first cycle.")
        better = [(c, f) for c, f, d, _ in v["vs_random"] if _sig(d) > 0]
        worse = [(c, f) for c, f, d, _ in v["vs_random"] if _sig(d) < 0]
        undecided = [(c, f) for c, f, d, _ in v["vs_random"] if _sig(d) == 0]
        out.append(
            f"  min vs random: significantly better at {len(better)} cycles"
            + (f" (units left {', '.join(f'{f:.2f}' for _, f in better)})" if better else "")
            + f", worse at {len(worse)}"
            + (f" ({', '.join(f'{f:.2f}' for _, f in worse)})" if worse else "")
            + f", not decided at {len(undecided)}."
        )
        rb = [(c, f) for c, f, d in v["reinit"] if _sig(d) > 0]
        rw = [(c, f) for c, f, d in v["reinit"] if _sig(d) < 0]
        out.append(
            f"  reinit vs rewinding to theta0: reinit significantly worse at {len(rw)} cycles"
            + (f" (units left {', '.join(f'{f:.2f}' for _, f in rw)})" if rw else "")
            + f", better at {len(rb)}, not decided at {len(v['reinit']) - len(rw) - len(rb)}."
        )
    out.append("")
    return out


def oracle_section(path: Path) -> list[str]:
    rows = _load(path)
    arms = [a for a in ("oracle", "min", "max", "random_layer") if any(r["arm"] == a for r in rows)]
    data = {a: _by(rows, a) for a in arms}
    masks = {(r["arm"], r["seed"], r["cycle"]): r["mask"] for r in rows}
    lines = ["### Oracle comparison (one unit per cycle, retrained from theta0 every cycle)", ""]
    lines.append(
        "Seeds: " + ", ".join(f"{a} {len({r['seed'] for r in rows if r['arm'] == a})}" for a in arms) + ". "
        "Mask agreement = share of units whose kept/removed state equals the oracle's at the same cycle "
        "(the notebook's comparemask)."
    )
    lines.append("")
    lines.append(
        "| cycle | units left | " + " | ".join(arms) + " | min - oracle | min agreement | random_layer agreement |"
    )
    lines.append("| --- | --- | " + " | ".join("---" for _ in arms) + " | --- | --- | --- |")
    if "oracle" not in data:
        return [*lines, ""]
    for c in sorted(data["oracle"]):
        if c % 4 and c != max(data["oracle"]):
            continue
        frac = sum(r["units_frac"] for r in data["oracle"][c].values()) / len(data["oracle"][c])
        cells = [
            _mean_ci([r["test_acc"] for r in data[a].get(c, {}).values()]) if data[a].get(c) else "-" for a in arms
        ]
        d = paired(_acc(data.get("min", {}).get(c, {})), _acc(data["oracle"][c]))
        agree = {}
        for a in ("min", "random_layer"):
            vals = []
            for s in data["oracle"][c]:
                mo, ma = masks.get(("oracle", s, c)), masks.get((a, s, c))
                if mo and ma:
                    vals.append(sum(x == y for x, y in zip(mo, ma, strict=True)) / len(mo))
            agree[a] = f"{sum(vals) / len(vals):.3f}" if vals else "-"
        lines.append(
            f"| {c} | {frac:.3f} | "
            + " | ".join(cells)
            + f" | {fmt_paired(d)} | {agree['min']} | {agree['random_layer']} |"
        )
    lines.append("")
    return lines


def write_report(docs: Path) -> str:
    tasks = sorted(p.stem[len("dropnet_") :] for p in docs.glob("dropnet_*.csv") if not p.stem.endswith("_oracle"))
    conv = {t for t in tasks if "conv" in t}
    lines = ["# DropNet reproduction: generated summary", "", "Written by `scripts/reproduce_dropnet.py report`.", ""]
    verdicts = {}
    for t in tasks:
        rows = _load(docs / f"dropnet_{t}.csv")
        if not rows:
            continue
        sec, v = task_section(t, rows)
        lines += sec
        verdicts[t] = v
        plot_metric(rows, docs / f"dropnet_{t}.png", x="units_frac", y="test_acc", by="arm", title=f"DropNet, {t}")
    for p in sorted(docs.glob("dropnet_*_oracle.csv")):
        lines += oracle_section(p)
        rows = _load(p)
        plot_metric(rows, p.with_suffix(".png"), x="units_frac", y="test_acc", by="arm", title=f"oracle, {p.stem}")
    lines += claims(verdicts, conv)
    n, cpu = finished_cpu(docs, "dropnet_")
    lines.append(f"Finished runs: {n}, {cpu:.0f} s of CPU ({cpu / 3600:.2f} core-hours; runs in progress not counted).")
    out = docs / "dropnet_summary.md"
    out.write_text("\n".join(lines) + "\n")
    return f"wrote {out}"
