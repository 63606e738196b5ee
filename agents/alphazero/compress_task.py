"""The pieces :mod:`agents.alphazero.compress` prunes a network with: its prunable units, the retraining task
(distillation or search targets) and the NetConfig of the pruned result."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from agents.alphazero.augment import apply_transforms
from agents.alphazero.losses import ILLEGAL_LOGIT, masked_log_policy, policy_value_loss
from agents.alphazero.network import NetConfig, PolicyValueNet
from pruning import UnitGroup, discover_units


class _Traceable(PolicyValueNet):
    """The same submodules as a PolicyValueNet, traced without its input check (fx cannot trace ``if``)."""

    def __init__(self, net: PolicyValueNet) -> None:
        nn.Module.__init__(self)
        self.config, self.stem, self.blocks = net.config, net.stem, net.blocks
        self.value_head, self.policy_head = net.value_head, net.policy_head

    forward = PolicyValueNet.body


def discover(net: PolicyValueNet, head_convs: bool = False) -> list[UnitGroup]:
    """The trunk (stem + every block's output, one residual group), each block's inner filters
    and the value head's hidden layer; with ``head_convs`` also the heads' 1x1 conv filters."""
    c = net.config
    groups = discover_units(_Traceable(net), torch.zeros(1, c.in_planes, c.rows, c.cols))
    if not head_convs:
        groups = [g for g in groups if g.name not in ("policy_head.conv", "value_head.conv")]
    return groups


def trunk_groups(groups: list[UnitGroup]) -> list[str]:
    return [g.name for g in groups if g.name.startswith(("stem.", "blocks."))]


def pruned_config(cfg: NetConfig, net: PolicyValueNet) -> NetConfig:
    """The NetConfig describing a (physically) pruned network's widths."""
    return cfg.replace(
        channels=net.stem.conv.out_channels,
        block_channels=tuple(b.conv1.out_channels for b in net.blocks) if len(net.blocks) else None,
        value_filters=net.value_head.conv.out_channels,
        value_hidden=net.value_head.fc1.out_features,
        policy_filters=net.policy_head.conv.out_channels,
    )


@torch.no_grad()
def rebuild(cfg: NetConfig, pruned: PolicyValueNet) -> PolicyValueNet:
    """A fresh PolicyValueNet(cfg) carrying the pruned weights; checks it computes the same."""
    net = PolicyValueNet(cfg)
    net.load_state_dict(pruned.state_dict(), strict=True)
    net.eval()
    pruned.eval()
    x = torch.rand(8, cfg.in_planes, cfg.rows, cfg.cols).round()
    for a, b in zip(net(x), pruned(x), strict=True):
        torch.testing.assert_close(a, b)
    return net


def augment_split(
    arrays: dict[str, torch.Tensor], layout_ids: np.ndarray, table: tuple[tuple[int, ...], ...]
) -> dict[str, torch.Tensor]:
    """Every position under each symmetry in ``table[layout]`` (the transforms that map its brick layout onto
    one of the dataset's, :func:`agents.alphazero.augment.allowed_transforms`): up to 8x the positions."""
    parts = []
    for k, transforms in enumerate(table):
        rows = np.flatnonzero(layout_ids == k)
        if len(rows) == 0:
            continue
        sel = {name: v[torch.from_numpy(rows)].numpy() for name, v in arrays.items()}
        for t in transforms:
            planes, masks, policy = apply_transforms(np.full(len(rows), t), sel["planes"], sel["masks"], sel["policy"])
            parts.append({**sel, "planes": planes, "masks": masks, "policy": policy})
    return {name: torch.from_numpy(np.concatenate([p[name] for p in parts])) for name in arrays}


@torch.no_grad()
def teacher_targets(
    teacher: nn.Module, planes: torch.Tensor, masks: torch.Tensor, batch: int = 4096
) -> tuple[torch.Tensor, torch.Tensor]:
    """The unpruned network's own move distribution (softmax over legal moves) and value for each position."""
    teacher.eval()
    policies, values = [], []
    for i in range(0, len(planes), batch):
        logits, v = teacher(planes[i : i + batch])
        policies.append(F.softmax(logits.masked_fill(~masks[i : i + batch], ILLEGAL_LOGIT), dim=1))
        values.append(v)
    return torch.cat(policies), torch.cat(values)


class PolicyValueTask:
    """Retraining (policy cross-entropy + value MSE, SGD with the pruner's scheduler) and metrics.

    Targets are the dataset's search policies and outcomes, blended with the unpruned ``teacher``'s own
    outputs by ``distill`` (0 = dataset only, 1 = pure distillation: match the teacher's prior and value).
    ``augment`` is the per-layout transform table applied to the training split (the held-out split is
    never augmented, so no symmetric copy of a training position is scored as held out).
    """

    def __init__(
        self,
        data: dict,
        val_fraction: float,
        batch_size: int,
        epochs: int,
        value_weight: float,
        seed: int,
        max_positions: int = 0,
        teacher: nn.Module | None = None,
        distill: float = 0.0,
        augment: tuple[tuple[int, ...], ...] | None = None,
    ) -> None:
        n = len(data["value"])
        perm = np.random.default_rng(seed).permutation(n)
        if max_positions:
            perm = perm[:max_positions]
        n_val = max(1, round(val_fraction * len(perm)))
        val, tr = perm[:n_val], perm[n_val:]
        t = {k: torch.from_numpy(np.asarray(data[k])) for k in ("planes", "masks", "policy", "value")}
        t["planes"] = t["planes"].float()
        self.train_set = {k: v[torch.from_numpy(tr)] for k, v in t.items()}
        self.val_set = {k: v[torch.from_numpy(val)] for k, v in t.items()}
        if augment is not None:
            self.train_set = augment_split(self.train_set, np.asarray(data["layout"])[tr], augment)
        self.n_train, self.n_val = len(self.train_set["value"]), len(val)
        if self.n_train < batch_size:
            batch_size = max(1, self.n_train)
        if teacher is not None:
            self.val_set["teacher_policy"], _ = teacher_targets(teacher, self.val_set["planes"], self.val_set["masks"])
            if distill > 0:
                tp, tv = teacher_targets(teacher, self.train_set["planes"], self.train_set["masks"])
                s = self.train_set
                s["policy"] = (1 - distill) * s["policy"] + distill * tp
                s["value"] = (1 - distill) * s["value"] + distill * tv
        self.batch_size, self.epochs, self.value_weight, self.seed = batch_size, epochs, value_weight, seed
        self.example = self.train_set["planes"][:1]

    def score_batches(self) -> list[torch.Tensor]:
        x = self.train_set["planes"]
        return [x[i : i + 1024] for i in range(0, min(len(x), 8192), 1024)]

    def losses(self, net: nn.Module, b: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, v = net(b["planes"])
        policy_loss, value_loss = policy_value_loss(logits, v, b["masks"], b["policy"], b["value"])
        return policy_loss, value_loss, logits

    def train(self, net: nn.Module, info) -> None:
        if info.cycle == 0:  # the checkpoint is already trained: cycle 0 only measures it
            return
        g = torch.Generator().manual_seed(self.seed * 1000 + info.cycle)
        n = self.n_train
        steps = self.epochs * max(1, n // self.batch_size)
        opt = torch.optim.SGD(net.parameters(), lr=0.0, momentum=0.9, nesterov=True, weight_decay=1e-4)
        sched = info.scheduler(opt, steps)
        net.train()
        for epoch in range(1, self.epochs + 1):
            perm = torch.randperm(n, generator=g)
            for i in range(0, n - self.batch_size + 1, self.batch_size):
                idx = perm[i : i + self.batch_size]
                p, v, _ = self.losses(net, {k: t[idx] for k, t in self.train_set.items()})
                opt.zero_grad(set_to_none=True)
                (p + self.value_weight * v).backward()
                opt.step()
                sched.step()
            info.epoch_end(net, epoch)
        net.eval()

    @torch.no_grad()
    def evaluate(self, net: nn.Module) -> dict:
        net.eval()
        b = self.val_set
        p, v, logits = self.losses(net, b)
        logp = masked_log_policy(logits, b["masks"])
        pred = logp.argmax(1)
        top1 = (pred == b["policy"].argmax(1)).float().mean()
        out = {"val_policy_loss": float(p), "val_value_loss": float(v), "val_top1": float(top1)}
        if "teacher_policy" in b:  # fidelity to the unpruned network: KL(teacher || net), same best move
            tp = b["teacher_policy"]
            kl = (tp * (tp.clamp_min(1e-12).log() - logp)).sum(1).mean()
            out["val_teacher_kl"] = float(kl)
            out["val_teacher_top1"] = float((pred == tp.argmax(1)).float().mean())
        return out
