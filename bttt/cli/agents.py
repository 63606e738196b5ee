"""``bttt agents``: every agent a spec can name, with its parameters, defaults and help."""

from __future__ import annotations

import argparse

INTERRUPTED = "nothing was saved"
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
    p.add_argument("--json", action="store_true", help="print the agents and their parameters as one JSON document")


def run(args: argparse.Namespace) -> int:
    from agents.registry import AgentSpecError, available_agents, get_entry

    entries = [get_entry(n) for n in args.names] if args.names else available_agents()
    if not entries:
        raise AgentSpecError("no agents are available")
    if args.json:
        from bttt.jsonout import emit

        emit({"format": "bttt-agents", "version": 1, "agents": [_entry(e) for e in entries], "examples": EXAMPLES})
        return 0
    for entry in entries:
        print("\n".join(entry.describe()))
        print()
    if not args.names:
        print("Spec examples: " + "  ".join(EXAMPLES))
    return 0


def _entry(entry) -> dict:
    return {
        "name": entry.name,
        "help": entry.help,
        "source": entry.source,
        "params": [
            {
                "name": p.name,
                "type": p.type.__name__,
                "default": p.default,
                "choices": None if p.choices is None else list(p.choices),
                "help": p.help,
            }
            for p in entry.params
        ],
        "presets": entry.presets,
    }
