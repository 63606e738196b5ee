"""An inference-only copy of a :class:`PolicyValueNet`: BatchNorm folded in, channels-last, no padding copies.

Search evaluates the network thousands of times per move, always in eval mode, so three
costs of the training module can go (measured in docs/alphazero-training.md):

* **BatchNorm.** In eval mode BN is a fixed per-channel affine map, so it folds into the
  convolution before it: ``W' = W * g``, ``b' = (b - mean) * g + beta`` with
  ``g = gamma / sqrt(var + eps)`` (computed in float64). One kernel per layer instead of two.
  The two heads' 1x1 convolutions read the same trunk output and are merged into one.
* **Asymmetric padding.** An even kernel with TensorFlow's 'same' padding (the paper's 4x4:
  one row/column before, two after) cannot be padded by a PyTorch convolution itself, so
  ``padding='same'`` first copies every layer's input into a tensor with one more row and
  column. Here the trunk *keeps* that extra zero row and column: each layer's activation is
  written straight into the interior of a zero-bordered ``(B, C, R+1, C'+1)`` buffer, and the
  next convolution pads the remaining (symmetric) part itself, as oneDNN does for free. No
  layer copies its input. (Keeping the whole border explicit and convolving without padding
  is slower: the convolution then multiplies the zeros, which oneDNN's own padding skips.)
  Odd kernels need no border at all.
* **Memory order.** Channels-last activations and weights are oneDNN's fast layout on x86.

Outputs equal the unfused network's to float32 rounding (tested within 1e-5). The copy holds
its own weights, so it is rebuilt whenever the source network changes (an
:class:`agents.alphazero.evaluator.Evaluator` builds one when it is created).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from agents.alphazero.network import NetConfig, PolicyValueNet


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[Tensor, Tensor]:
    """Weight and bias of the single convolution equal to ``bn(conv(x))`` in eval mode."""
    w = conv.weight.detach().double()
    if conv.bias is not None:
        b = conv.bias.detach().double()
    else:
        b = torch.zeros(w.shape[0], dtype=torch.float64, device=w.device)
    scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.detach().double() + bn.eps)
    weight = w * scale.view(-1, 1, 1, 1)
    bias = (b - bn.running_mean.detach().double()) * scale + bn.bias.detach().double()
    return weight.float(), bias.float()


class FusedPolicyValueNet(nn.Module):
    """Inference-only equivalent of a :class:`PolicyValueNet` (same inputs, same outputs).

    Args:
        net: the network to copy (its current weights and BN statistics); it is not modified.
        channels_last: keep activations and weights in channels-last memory order (oneDNN's
            fast layout on x86 CPUs; see docs/alphazero-training.md for the measurement).
    """

    def __init__(self, net: PolicyValueNet, channels_last: bool = True) -> None:
        super().__init__()
        c: NetConfig = net.config
        self.config = c
        k = c.kernel
        # the convolution pads (k-1)//2 on every side itself; an even kernel's one extra row and column
        # after the board (TensorFlow's 'same') is a zero border kept on the trunk's activation buffers
        self.conv_padding = (k - 1) // 2
        self.extra = 1 if (c.tf_same_padding and k % 2 == 0) else 0
        self.channels_last = bool(channels_last)
        self.negative_slope = float(c.leaky_slope) if c.activation == "leaky_relu" else 0.0
        self.blocks = c.blocks
        self.head_bias = c.head_bias
        self.value_filters = c.value_filters
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        params = nn.ParameterDict()

        def put(name: str, tensor: Tensor, conv: bool = False) -> None:
            tensor = tensor.contiguous(memory_format=fmt) if conv else tensor.contiguous()
            params[name] = nn.Parameter(tensor, requires_grad=False)

        def put_conv(name: str, conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
            weight, bias = fold_batchnorm(conv, bn)
            put(f"{name}_w", weight, conv=True)
            put(f"{name}_b", bias)

        put_conv("stem", net.stem.conv, net.stem.bn)
        for i, block in enumerate(net.blocks):
            put_conv(f"b{i}_1", block.conv1, block.bn1)
            put_conv(f"b{i}_2", block.conv2, block.bn2)
        vw, vb = fold_batchnorm(net.value_head.conv, net.value_head.bn)
        pw, pb = fold_batchnorm(net.policy_head.conv, net.policy_head.bn)
        put("head_w", torch.cat([vw, pw]), conv=True)  # one 1x1 conv for both heads: value filters first
        put("head_b", torch.cat([vb, pb]))
        vh, ph = net.value_head, net.policy_head
        put("v_fc1_w", vh.fc1.weight.detach().clone())
        put("v_fc2_w", vh.fc2.weight.detach().clone())
        put("p_fc_w", ph.fc.weight.detach().clone())
        if c.head_bias:
            put("v_fc1_b", vh.fc1.bias.detach().clone())
            put("v_fc2_b", vh.fc2.bias.detach().clone())
            put("p_fc_b", ph.fc.bias.detach().clone())
        self.p = params
        self.eval()

    # ----------------------------------------------------------------- helpers
    def _act(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope) if self.negative_slope else F.relu(x)

    def _buffer(self, like: Tensor) -> Tensor:
        """A zero (B, C, R+1, C'+1) buffer in the module's memory order (the extra border stays zero)."""
        b, ch, r, cc = like.shape
        if self.channels_last:
            return like.new_zeros((b, r + 1, cc + 1, ch)).permute(0, 3, 1, 2)
        return like.new_zeros((b, ch, r + 1, cc + 1))

    def _to_trunk(self, x: Tensor, act: bool) -> Tensor:
        """``act(x)`` (or ``x``), in the layout the next convolution reads: zero-bordered for even kernels."""
        if not self.extra:
            return self._act(x) if act else x
        out = self._buffer(x)
        interior = out[:, :, : x.shape[2], : x.shape[3]]
        if not act:
            interior.copy_(x)
        elif self.negative_slope:
            torch.ops.aten.leaky_relu.out(x, self.negative_slope, out=interior)
        else:
            torch.clamp_min(x, 0.0, out=interior)
        return out

    # ----------------------------------------------------------------- forward
    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        c = self.config
        if x.dim() != 4 or tuple(x.shape[1:]) != (c.in_planes, c.rows, c.cols):
            raise ValueError(f"expected input planes (B, {c.in_planes}, {c.rows}, {c.cols}), got {tuple(x.shape)}")
        p, pad, rows, cols = self.p, self.conv_padding, c.rows, c.cols
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = F.conv2d(self._to_trunk(x, act=False), p["stem_w"], p["stem_b"], padding=pad)
        h = self._act(y) if self.blocks == 0 else self._to_trunk(y, act=True)
        for i in range(self.blocks):
            y = F.conv2d(h, p[f"b{i}_1_w"], p[f"b{i}_1_b"], padding=pad)
            y = F.conv2d(self._to_trunk(y, act=True), p[f"b{i}_2_w"], p[f"b{i}_2_b"], padding=pad)
            y = y + h[:, :, :rows, :cols]
            h = self._act(y) if i == self.blocks - 1 else self._to_trunk(y, act=True)
        heads = self._act(F.conv2d(h, p["head_w"], p["head_b"]))
        v = heads[:, : self.value_filters].flatten(1)
        pol = heads[:, self.value_filters :].flatten(1)
        if self.head_bias:
            v = F.linear(self._act(F.linear(v, p["v_fc1_w"], p["v_fc1_b"])), p["v_fc2_w"], p["v_fc2_b"])
            logits = F.linear(pol, p["p_fc_w"], p["p_fc_b"])
        else:
            v = F.linear(self._act(F.linear(v, p["v_fc1_w"])), p["v_fc2_w"])
            logits = F.linear(pol, p["p_fc_w"])
        return logits, torch.tanh(v).squeeze(-1)


def fuse(net: PolicyValueNet, channels_last: bool | None = None) -> FusedPolicyValueNet:
    """The BN-folded, copy-free inference twin of ``net``, on ``net``'s device.

    ``channels_last=None`` picks channels-last on the CPU (measured faster) and the default
    NCHW order elsewhere (not measured on a GPU yet: ``scripts/gpu_check.sh`` times both).
    """
    device = next(net.parameters()).device
    if channels_last is None:
        channels_last = device.type == "cpu"
    return FusedPolicyValueNet(net, channels_last).to(device)
