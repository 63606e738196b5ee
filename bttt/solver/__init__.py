"""The exact solver: game-theoretic values with distance for any Brick Tic-Tac-Toe variant.

``solve(state)`` returns a :class:`~bttt.solver.solve.Solution`: the value for the side to move (a win in ``n``
plies, a loss in ``n``, a draw, or -- when a budget runs out -- the interval proven so far), every legal move's
value, the principal line, nodes and time. See docs/solver.md for the algorithm and its measurements.
"""
