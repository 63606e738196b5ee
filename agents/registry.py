"""Making agents from spec strings such as ``"mcts:iterations=1000,c=1.4"``.

Built-in agents register here with typed parameters; third-party agents plug in
through the ``bttt.agents`` entry-point group (value: an :class:`AgentEntry` or a
factory) or directly as ``"package.module:factory[:key=value,...]"``. Every bad
spec raises :class:`AgentSpecError` listing what is valid.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.base import Agent, as_agent
from bttt.errors import BtttError

ENTRY_POINT_GROUP = "bttt.agents"
#: bttt's own packages: a module:factory spec into them runs no code from outside bttt.
TRUSTED_PACKAGES = ("bttt", "agents", "tournament", "pruning")
_BUILTIN_MODULES = (
    "agents.random_agent",
    "agents.human",
    "agents.minimax",
    "agents.mcts",
    "agents.alphazero",
    "agents.solver_agent",
)


class AgentSpecError(BtttError):
    """An agent spec that names no agent or has bad parameters."""


@dataclass(frozen=True)
class Param:
    """A typed agent parameter. ``check`` returns an error message or None."""

    name: str
    type: type
    default: Any
    help: str = ""
    choices: tuple | None = None
    check: Callable[[Any], str | None] | None = None
    #: False for a parameter added after agents were stored by name: at its default it is left out of the
    #: canonical name, so the names (and tournaments) recorded before it existed still match.
    named_at_default: bool = True

    def convert(self, agent: str, raw: str) -> Any:
        try:
            if self.type is bool:
                low = raw.strip().lower()
                if low not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = low in ("true", "1", "yes")
            elif self.type is str:
                value = raw
            else:
                value = self.type(raw)
        except ValueError:
            raise AgentSpecError(
                f"{agent}: parameter {self.name}={raw!r} is not a valid {self.type.__name__}"
            ) from None
        return self.validate(agent, value)

    def validate(self, agent: str, value: Any) -> Any:
        if self.choices is not None and value not in self.choices:
            raise AgentSpecError(
                f"{agent}: {self.name}={value!r} is not allowed; choose one of {', '.join(map(str, self.choices))}"
            )
        if self.check is not None and value is not None:
            problem = self.check(value)
            if problem:
                raise AgentSpecError(f"{agent}: {self.name}={value!r}: {problem}")
        return value


@dataclass(frozen=True)
class AgentEntry:
    """A registered agent: its name, parameters and factory ``(**params) -> Agent``."""

    name: str
    factory: Callable[..., Agent]
    params: tuple[Param, ...] = ()
    help: str = ""
    source: str = field(default="built-in", compare=False)
    presets: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)
    """Named bundles of parameter values chosen by a ``preset`` parameter; explicit
    parameters in the spec still override them (``minimax:preset=paper,depth=3``)."""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        valid = ", ".join(p.name for p in self.params) or "none"
        raise AgentSpecError(f"{self.name}: unknown parameter {name!r}; valid parameters: {valid}")

    def resolve(self, given: dict[str, Any]) -> dict[str, Any]:
        """Every parameter's value: the defaults, then the chosen ``preset``'s values, then the ``given`` ones
        (already typed; None means "not given"), each validated. The one place presets are applied."""
        values = {p.name: p.default for p in self.params}
        preset = given.get("preset")
        if preset is not None and self.presets:
            values.update(self.presets.get(self.param("preset").validate(self.name, preset), {}))
        for key, value in given.items():
            if value is not None:
                values[key] = self.param(key).validate(self.name, value)
        return values

    def canonical_name(self, values: dict[str, Any]) -> str:
        """The spec that names exactly this configuration (every parameter, in declaration order)."""
        if not self.params:
            return self.name
        shown = [p for p in self.params if p.named_at_default or values[p.name] != p.default]
        return self.name + ":" + ",".join(f"{p.name}={format_value(values[p.name])}" for p in shown)

    def describe(self) -> list[str]:
        """Text lines for ``bttt agents``: the agent, each parameter with its default and help, the presets."""
        source = "" if self.source == "built-in" else f"  [{self.source}]"
        lines = [f"{self.name}: {self.help}{source}"]
        for p in self.params:
            kind = "|".join(map(str, p.choices)) if p.choices else p.type.__name__
            setting = f"{p.name}={format_value(p.default)}"
            lines.append(f"    {setting:<22} {kind:<18} {p.help}")
        for preset, values in self.presets.items():
            body = ",".join(f"{k}={format_value(v)}" for k, v in values.items())
            lines.append(f"    preset {preset}: {body}")
        return lines


def positive(value) -> str | None:
    return None if value > 0 else "must be positive"


def non_negative(value) -> str | None:
    return None if value >= 0 else "must be zero or more"


_REGISTRY: dict[str, AgentEntry] = {}
_loaded = False


def register_agent(entry: AgentEntry) -> AgentEntry:
    """Add an agent to the registry (built-in modules call this at import)."""
    _REGISTRY[entry.name] = entry
    return entry


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if not (exc.name and module.startswith(exc.name)):
                raise
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not break the CLI
            import warnings

            warnings.warn(f"agent plug-in {ep.name!r} ({ep.value}) failed to load: {exc}", stacklevel=2)
            continue
        entry = obj if isinstance(obj, AgentEntry) else AgentEntry(ep.name, obj, (), "plug-in", ep.value)
        _REGISTRY.setdefault(entry.name, entry)


def available_agents() -> list[AgentEntry]:
    """Every agent that specs can name, built-in and plug-in."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda e: e.name)


def get_entry(name: str) -> AgentEntry:
    _load_all()
    if name not in _REGISTRY:
        valid = ", ".join(sorted(_REGISTRY))
        raise AgentSpecError(f"unknown agent {name!r}; available: {valid} (or 'package.module:factory' for your own)")
    return _REGISTRY[name]


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``"mcts:iterations=100,c=1.4"`` -> ``("mcts", {"iterations": "100", "c": "1.4"})``."""
    if not isinstance(spec, str) or not spec.strip():
        raise AgentSpecError(f"an agent spec is a non-empty string like 'mcts:iterations=1000', got {spec!r}")
    name, _, rest = spec.strip().partition(":")
    return name.strip(), _parse_params(spec, rest)


def _parse_params(spec: str, text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise AgentSpecError(f"in {spec!r}: parameter {item!r} should look like key=value")
        if key.strip() in params:
            raise AgentSpecError(f"in {spec!r}: parameter {key.strip()!r} given twice")
        params[key.strip()] = value.strip()
    return params


def pinned_digest(name: str) -> str | None:
    """The content hash a canonical name pins to its checkpoint (``checkpoint=d4@3f2a9c1b07de``), if any."""
    for item in name.partition(":")[2].split(","):
        key, _, value = item.partition("=")
        if key.strip() == "checkpoint" and "@" in value:
            return value.rpartition("@")[2]
    return None


def plugin_package(spec: str) -> str | None:
    """The top-level package whose code a ``package.module:factory`` spec runs, or None for a registered agent."""
    name = spec.partition(":")[0].strip() if isinstance(spec, str) else ""
    return name.split(".")[0] if name and _is_plugin_spec(spec, name) else None


def make_agent(spec: str, seed: int | None = None, plugins: tuple[str, ...] | None = None) -> Agent:
    """Build the agent a spec names and seed it.

    ``plugins`` limits the ``package.module:factory`` specs that may run: None allows any (a spec the user typed
    now), a tuple only those from these top-level packages (specs read back from a file, which must not choose
    what code runs).
    """
    name, _ = parse_spec(spec.partition(":")[0] if isinstance(spec, str) else spec)
    if _is_plugin_spec(spec, name):
        package = name.split(".")[0]
        if plugins is not None and package not in plugins and package not in TRUSTED_PACKAGES:
            raise AgentSpecError(
                f"{spec!r} runs code from the package {package!r}, which this run does not allow: pass "
                f"--allow-plugin {package} if you trust it"
            )
        agent = _make_plugin(spec)
    else:
        entry = get_entry(name)
        raw = parse_spec(spec)[1]
        if not entry.params and raw:
            raise AgentSpecError(f"{name} takes no parameters, got {', '.join(raw)}")
        values = entry.resolve({key: entry.param(key).convert(name, text) for key, text in raw.items()})
        agent = as_agent(entry.factory(**values))
        if getattr(agent, "name", None) in (None, "", "agent"):  # a plug-in factory that does not name its agents
            agent.name = entry.canonical_name(values)
    if seed is not None and hasattr(agent, "seed"):
        agent.seed(seed)
    return agent


def canonical_spec(agent: str, **given: Any) -> str:
    """The canonical spec of a registered agent built with these parameter values (for agents built directly)."""
    entry = get_entry(agent)
    return entry.canonical_name(entry.resolve(given))


def _is_plugin_spec(spec: str, name: str) -> bool:
    """``package.module:factory[:k=v]``, or ``module:factory`` naming no registered agent."""
    if ":" not in spec:
        return False
    if "." in name:
        return True
    _load_all()
    factory = spec.partition(":")[2].partition(":")[0].strip()
    return name not in _REGISTRY and factory.isidentifier()


def _make_plugin(spec: str) -> Agent:
    module_name, _, rest = spec.partition(":")
    factory_name, _, params_text = rest.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AgentSpecError(f"cannot import agent module {module_name!r} from {spec!r}: {exc}") from None
    factory = getattr(module, factory_name, None)
    if factory is None or not callable(factory):
        raise AgentSpecError(f"module {module_name!r} has no callable {factory_name!r} (from {spec!r})")
    kwargs = {k: _literal(v) for k, v in _parse_params(spec, params_text).items()}
    try:
        agent = as_agent(factory(**kwargs))
    except TypeError as exc:
        raise AgentSpecError(f"{spec!r}: {exc}") from None
    agent.name = spec.strip()
    return agent


def _literal(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    low = text.lower()
    return {"true": True, "false": False, "none": None}.get(low, text)


def format_value(value: Any) -> str:
    """A parameter value as written in specs (floats exactly, booleans and None in lower case)."""
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)
