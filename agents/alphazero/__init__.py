"""AlphaZero for Brick Tic-Tac-Toe: policy-value network, batched PUCT search, self-play training.

Importing the package registers the ``alphazero`` agent (:mod:`agents.alphazero.agent`);
torch is imported only when a network is built.
"""

from agents.alphazero import agent as _agent  # noqa: F401 - registers "alphazero"
