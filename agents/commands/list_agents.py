"""``bttt agents``: every agent a spec can name, with its parameters, defaults and help."""

from __future__ import annotations

import argparse

HELP = "list the available agents with their parameters, defaults and help"

EXAMPLES = (
    "random",
    "human",
    "minimax:preset=paper",
    "minimax:depth=6",
    "minimax:depth=20,time=1.0",
    "mcts:preset=paper",
    "mcts:iterations=10000,c=1.4,leaf=rollout",
    "mypackage.module:factory:key=value",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", help="show only these agents")


def describe(entry) -> list[str]:
    """Text lines describing one registry entry."""
    from agents.registry import _fmt

    source = "" if entry.source == "built-in" else f"  [{entry.source}]"
    lines = [f"{entry.name}: {entry.help}{source}"]
    for p in entry.params:
        kind = "|".join(map(str, p.choices)) if p.choices else p.type.__name__
        setting = f"{p.name}={_fmt(p.default)}"
        lines.append(f"    {setting:<22} {kind:<18} {p.help}")
    for preset, values in entry.presets.items():
        body = ",".join(f"{k}={_fmt(v)}" for k, v in values.items())
        lines.append(f"    preset {preset}: {body}")
    return lines


def run(args: argparse.Namespace) -> int:
    from agents.registry import AgentSpecError, available_agents, get_entry

    entries = [get_entry(n) for n in args.names] if args.names else available_agents()
    if not entries:
        raise AgentSpecError("no agents are available")
    for entry in entries:
        print("\n".join(describe(entry)))
        print()
    if not args.names:
        print("Spec examples: " + "  ".join(EXAMPLES))
    return 0
