"""The AlphaZero training objective, shared by self-play training and the retraining of pruned networks."""

from __future__ import annotations

import torch
import torch.nn.functional as F

ILLEGAL_LOGIT = -1e9  # masked logits before the log-softmax (finite, so a row with no legal move stays finite)


def masked_log_policy(logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Log-probabilities over the legal moves (``masks`` True where legal)."""
    return F.log_softmax(logits.masked_fill(~masks, ILLEGAL_LOGIT), dim=1)


def policy_value_loss(
    logits: torch.Tensor,
    values: torch.Tensor,
    masks: torch.Tensor,
    target_policy: torch.Tensor,
    target_value: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(policy cross-entropy against the target distribution, value mean squared error); the caller weighs them."""
    policy_loss = -(target_policy * masked_log_policy(logits, masks)).sum(dim=1).mean()
    return policy_loss, F.mse_loss(values, target_value)
