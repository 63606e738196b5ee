"""``bttt`` commands of the AlphaZero package (train, import-keras)."""
