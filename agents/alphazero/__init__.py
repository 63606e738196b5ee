"""AlphaZero for Brick Tic-Tac-Toe: policy-value network, batched PUCT search, self-play training."""
