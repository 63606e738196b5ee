"""Agent specs: canonical names, presets, errors that list what is valid, plug-ins."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap

import pytest

import agents.registry as registry
from agents import AgentSpecError, as_agent, available_agents, make_agent
from agents.base import CallableAgent
from bttt import GameState, Rules


def test_builtin_agents_are_listed():
    names = {e.name for e in available_agents()}
    assert {"random", "human", "minimax", "mcts"} <= names


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("random", "random"),
        ("human", "human"),
        ("minimax:preset=paper", "minimax:depth=2,time=0.0,mode=paper,preset=paper,tt_bits=18"),
        ("minimax:depth=6", "minimax:depth=6,time=0.0,mode=fast,preset=none,tt_bits=18"),
        ("minimax:preset=paper,depth=3", "minimax:depth=3,time=0.0,mode=paper,preset=paper,tt_bits=18"),
        (
            "mcts:iterations=10000,c=1.4,leaf=rollout",
            "mcts:iterations=10000,time=0.0,c=1.4,leaf=rollout,reuse=false,preset=none",
        ),
        (
            "mcts: preset=paper , reuse=yes",
            "mcts:iterations=2500,time=0.0,c=1.0,leaf=heuristic,reuse=true,preset=paper",
        ),
    ],
)
def test_canonical_names(spec, name):
    agent = make_agent(spec)
    assert agent.name == name
    # The canonical name rebuilds the same configuration.
    assert make_agent(agent.name).name == name


def test_canonical_name_matches_the_configuration():
    agent = make_agent("mcts:preset=paper,c=2.5")
    assert (agent.iterations, agent.c, agent.leaf) == (2500, 2.5, "heuristic")
    agent = make_agent("minimax:preset=paper")
    assert (agent.depth, agent.mode) == (2, "paper")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("nosuch", "available: "),
        ("minimax:width=3", "valid parameters: depth, time, mode, preset, tt_bits"),
        ("minimax:depth=two", "not a valid int"),
        ("minimax:depth=0", "must be 1..49"),
        ("mcts:leaf=neural", "choose one of rollout, heuristic"),
        ("mcts:iterations=-5", "must be positive"),
        ("mcts:c=-1", "must be zero or more"),
        ("mcts:reuse=maybe", "not a valid bool"),
        ("mcts:preset=strong", "choose one of none, paper"),
        ("mcts:iterations", "should look like key=value"),
        ("mcts:c=1,c=2", "given twice"),
        ("random:x=1", "takes no parameters"),
        ("", "non-empty string"),
    ],
)
def test_bad_specs_explain_what_is_valid(spec, fragment):
    with pytest.raises(AgentSpecError, match=fragment.replace(".", r"\.")):
        make_agent(spec)


def test_callables_work_as_agents():
    agent = as_agent(lambda s: s.legal_actions()[-1])
    assert isinstance(agent, CallableAgent)
    assert agent.step(GameState(Rules(bricks="D4"))) == 48


@pytest.fixture()
def plugin_module(tmp_path, monkeypatch):
    (tmp_path / "bttt_test_plugin.py").write_text(
        textwrap.dedent("""
        from agents.base import Agent
        from agents.registry import AgentEntry, Param

        class Last(Agent):
            def __init__(self, offset=0):
                self.offset = offset
            def step(self, state):
                return state.legal_actions()[-1 - self.offset]

        def factory(offset=0):
            return Last(offset)

        ENTRY = AgentEntry("lastmove", factory, (Param("offset", int, 0, "skip this many"),), "plays the last cell")
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "bttt_test_plugin"
    sys.modules.pop("bttt_test_plugin", None)


def test_module_factory_specs(plugin_module):
    agent = make_agent("bttt_test_plugin:factory:offset=1")
    assert agent.name == "bttt_test_plugin:factory:offset=1"
    assert agent.step(GameState(Rules(bricks="D4"))) == 47
    with pytest.raises(AgentSpecError, match="no callable 'nope'"):
        make_agent("bttt_test_plugin:nope")
    with pytest.raises(AgentSpecError, match="cannot import"):
        make_agent("no_such_module_xyz:factory")
    with pytest.raises(AgentSpecError, match="unexpected keyword"):
        make_agent("bttt_test_plugin:factory:bad=1")


def test_entry_point_plugins(plugin_module, monkeypatch):
    ep = importlib.metadata.EntryPoint("lastmove", f"{plugin_module}:ENTRY", registry.ENTRY_POINT_GROUP)
    real = importlib.metadata.entry_points

    def fake_entry_points(**kwargs):
        if kwargs.get("group") == registry.ENTRY_POINT_GROUP:
            return importlib.metadata.EntryPoints([ep])
        return real(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    assert "lastmove" in {e.name for e in available_agents()}
    agent = make_agent("lastmove:offset=2")
    assert agent.name == "lastmove:offset=2"
    assert agent.step(GameState(Rules(bricks="D4"))) == 46
    with pytest.raises(AgentSpecError, match="valid parameters: offset"):
        make_agent("lastmove:depth=1")
