"""``bttt play`` and ``bttt agents``: the agent commands of the ``bttt`` shell."""
