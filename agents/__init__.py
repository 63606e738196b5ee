"""Every player: the agent interface, the spec registry and the built-in agents."""

from agents.base import Agent, CallableAgent, as_agent
from agents.registry import (
    AgentEntry,
    AgentSpecError,
    Param,
    available_agents,
    make_agent,
    register_agent,
)

__all__ = [
    "Agent",
    "AgentEntry",
    "AgentSpecError",
    "CallableAgent",
    "Param",
    "as_agent",
    "available_agents",
    "make_agent",
    "register_agent",
]
