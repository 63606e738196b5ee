"""The AlphaZero policy-value network: a residual convolutional trunk with two heads.

Input: float planes ``(B, in_planes, rows, cols)`` from the side to move's view
(own stones, opponent stones, bricks; see :meth:`bttt.GameState.observation`).
Output: policy logits over the cells ``(B, rows*cols)`` and a tanh value
``(B,)`` for the side to move.

Width, depth, kernel size, activation and head sizes are configuration
(:class:`NetConfig`). :data:`PAPER` is the exact architecture of Tan & Motani's
Keras networks (75 filters, 4x4 kernels with TensorFlow's asymmetric 'same'
padding, 5 residual blocks, LeakyReLU 0.3, BN epsilon 1e-3, bias-free dense
layers), so :mod:`agents.alphazero.keras_import` can load their weights.

Module layout is part of the contract (pruning reads it through hooks):
``stem`` (``conv``, ``bn``, ``act``), ``blocks`` (``nn.ModuleList`` of
:class:`ResidualBlock` with ``conv1, bn1, act1, conv2, bn2, act2``),
``value_head`` and ``policy_head``; every activation is a module.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import asdict, dataclass, fields, replace

import torch
from torch import Tensor, nn

from bttt.errors import BtttError

ACTIVATIONS = ("relu", "leaky_relu")
# Even kernels with padding='same' (the paper's 4x4) make PyTorch pad a copy of the input, which is
# what TensorFlow does too; the performance note it prints on every new shape is noise here.
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel", category=UserWarning)


class NetConfigError(BtttError):
    """A network configuration that cannot be built."""


@dataclass(frozen=True)
class NetConfig:
    """Architecture of a :class:`PolicyValueNet` (everything needed to rebuild it).

    ``block_channels`` optionally gives each residual block's inner width (the
    output of its first convolution); ``None`` means ``channels`` everywhere. It
    lets a pruned network, whose blocks lost different numbers of filters, be
    described exactly. ``head_bias`` adds biases to the heads' dense layers (the
    paper's networks have none).
    """

    rows: int = 7
    cols: int = 7
    in_planes: int = 3
    channels: int = 64
    blocks: int = 4
    kernel: int = 3
    activation: str = "relu"
    leaky_slope: float = 0.3
    tf_same_padding: bool = False
    conv_bias: bool = False
    value_filters: int = 1
    value_hidden: int = 64
    policy_filters: int = 2
    bn_eps: float = 1e-5
    head_bias: bool = True
    block_channels: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.block_channels is not None:
            widths = self.block_channels
            if isinstance(widths, (str, bytes)) or not all(
                isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in widths
            ):
                raise NetConfigError(f"NetConfig.block_channels must be a list of integers, got {widths!r}")
            object.__setattr__(self, "block_channels", tuple(int(c) for c in widths))
        for name in (
            "rows",
            "cols",
            "in_planes",
            "channels",
            "kernel",
            "value_filters",
            "value_hidden",
            "policy_filters",
            "blocks",
        ):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < (name != "blocks"):
                limit = "zero or more" if name == "blocks" else "a positive integer"
                raise NetConfigError(f"NetConfig.{name} must be {limit}, got {value!r}")
            object.__setattr__(self, name, int(value))  # numpy/torch integers -> int (hashable, JSON-able)
        if self.activation not in ACTIVATIONS:
            raise NetConfigError(
                f"NetConfig.activation {self.activation!r} is unknown; choose one of {', '.join(ACTIVATIONS)}"
            )
        if self.kernel % 2 == 0 and not self.tf_same_padding:
            raise NetConfigError(
                f"an even kernel ({self.kernel}) needs tf_same_padding=True (pad (k-1)//2 before, k//2 "
                "after) to keep the board size; use an odd kernel or set tf_same_padding"
            )
        if self.bn_eps <= 0:
            raise NetConfigError(f"NetConfig.bn_eps must be positive, got {self.bn_eps!r}")
        if self.block_channels is not None and (
            len(self.block_channels) != self.blocks or min(self.block_channels, default=1) < 1
        ):
            raise NetConfigError(
                f"NetConfig.block_channels must give one positive width per block ({self.blocks}), "
                f"got {self.block_channels!r}"
            )

    @property
    def n_actions(self) -> int:
        return self.rows * self.cols

    def inner_channels(self, block: int) -> int:
        """Width of block ``block``'s first convolution."""
        return self.channels if self.block_channels is None else self.block_channels[block]

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["block_channels"] is not None:
            d["block_channels"] = list(d["block_channels"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> NetConfig:
        """Rebuild from :meth:`to_dict` output; unknown keys are refused (they mean a newer format)."""
        if not isinstance(d, dict):
            raise NetConfigError(f"a network configuration is a dict, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise NetConfigError(
                f"unknown network configuration keys {unknown}; valid keys: {', '.join(sorted(known))}"
            )
        d = dict(d)
        if d.get("block_channels") is not None:
            d["block_channels"] = tuple(d["block_channels"])
        return cls(**d)

    def replace(self, **changes) -> NetConfig:
        return replace(self, **changes)


#: Tan & Motani's Keras architecture (see docs/alphazero-paper-networks.md).
PAPER = NetConfig(
    channels=75,
    blocks=5,
    kernel=4,
    activation="leaky_relu",
    leaky_slope=0.3,
    tf_same_padding=True,
    conv_bias=False,
    value_filters=1,
    value_hidden=20,
    policy_filters=2,
    bn_eps=1e-3,
    head_bias=False,
)
#: The fast default for training on a CPU: 32 filters, 3 residual blocks.
SMALL = NetConfig(channels=32, blocks=3, kernel=3, value_hidden=32)
#: The NetConfig() defaults: 64 filters, 4 residual blocks.
MEDIUM = NetConfig()
#: For tests and smoke runs.
TINY = NetConfig(channels=8, blocks=1, kernel=3, value_hidden=8)
PRESETS: dict[str, NetConfig] = {"paper": PAPER, "small": SMALL, "medium": MEDIUM, "tiny": TINY}


def preset(name: str) -> NetConfig:
    """The preset called ``name`` (BtttError listing the valid names otherwise)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise NetConfigError(f"unknown network preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def _activation(config: NetConfig) -> nn.Module:
    if config.activation == "leaky_relu":
        return nn.LeakyReLU(config.leaky_slope)
    return nn.ReLU()


def _conv(config: NetConfig, cin: int, cout: int) -> nn.Conv2d:
    # PyTorch's padding='same' pads (k-1)//2 before and k//2 after, exactly like TensorFlow's 'same'
    # at stride 1; for odd kernels it equals the symmetric k//2.
    padding = "same" if config.tf_same_padding else config.kernel // 2
    return nn.Conv2d(cin, cout, config.kernel, padding=padding, bias=config.conv_bias)


class ConvBlock(nn.Module):
    """conv -> BN -> activation (the stem)."""

    def __init__(self, config: NetConfig, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = _conv(config, cin, cout)
        self.bn = nn.BatchNorm2d(cout, eps=config.bn_eps)
        self.act = _activation(config)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(self.conv(x)))


class ResidualBlock(nn.Module):
    """conv -> BN -> act -> conv -> BN, plus the input, then act."""

    def __init__(self, config: NetConfig, channels: int, inner: int) -> None:
        super().__init__()
        self.conv1 = _conv(config, channels, inner)
        self.bn1 = nn.BatchNorm2d(inner, eps=config.bn_eps)
        self.act1 = _activation(config)
        self.conv2 = _conv(config, inner, channels)
        self.bn2 = nn.BatchNorm2d(channels, eps=config.bn_eps)
        self.act2 = _activation(config)

    def forward(self, x: Tensor) -> Tensor:
        y = self.act1(self.bn1(self.conv1(x)))
        return self.act2(x + self.bn2(self.conv2(y)))


class ValueHead(nn.Module):
    """1x1 conv -> BN -> act -> flatten -> dense -> act -> dense(1) -> tanh."""

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        cells = config.rows * config.cols
        self.conv = nn.Conv2d(config.channels, config.value_filters, 1, bias=config.conv_bias)
        self.bn = nn.BatchNorm2d(config.value_filters, eps=config.bn_eps)
        self.act = _activation(config)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(config.value_filters * cells, config.value_hidden, bias=config.head_bias)
        self.act_fc = _activation(config)
        self.fc2 = nn.Linear(config.value_hidden, 1, bias=config.head_bias)
        self.tanh = nn.Tanh()

    def forward(self, x: Tensor) -> Tensor:
        h = self.flatten(self.act(self.bn(self.conv(x))))
        return self.tanh(self.fc2(self.act_fc(self.fc1(h)))).squeeze(-1)


class PolicyHead(nn.Module):
    """1x1 conv -> BN -> act -> flatten (channel, row, col) -> dense: one logit per cell."""

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        cells = config.rows * config.cols
        self.conv = nn.Conv2d(config.channels, config.policy_filters, 1, bias=config.conv_bias)
        self.bn = nn.BatchNorm2d(config.policy_filters, eps=config.bn_eps)
        self.act = _activation(config)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(config.policy_filters * cells, cells, bias=config.head_bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.flatten(self.act(self.bn(self.conv(x)))))


class PolicyValueNet(nn.Module):
    """Residual policy-value network; ``forward`` gives ``(logits (B, R*C), value (B,))``."""

    def __init__(self, config: NetConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else NetConfig()
        c = self.config
        self.stem = ConvBlock(c, c.in_planes, c.channels)
        self.blocks = nn.ModuleList(ResidualBlock(c, c.channels, c.inner_channels(i)) for i in range(c.blocks))
        self.value_head = ValueHead(c)
        self.policy_head = PolicyHead(c)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        c = self.config
        if x.dim() != 4 or tuple(x.shape[1:]) != (c.in_planes, c.rows, c.cols):
            raise ValueError(f"expected input planes (B, {c.in_planes}, {c.rows}, {c.cols}), got {tuple(x.shape)}")
        return self.body(x)

    def body(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The forward pass without the input check (what fx traces for pruning)."""
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.policy_head(h), self.value_head(h)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def build_net(config: NetConfig | str | None = None, seed: int | None = None) -> PolicyValueNet:
    """A freshly initialised network from a config or preset name (seeded if ``seed`` is given)."""
    if isinstance(config, str):
        config = preset(config)
    if seed is None:
        return PolicyValueNet(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PolicyValueNet(config)
