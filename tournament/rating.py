"""Elo-scale ratings from all games at once: Bradley-Terry-Davidson with a first-move advantage.

For a game where agent *i* moves first against *j*, with strengths ``theta``, a
first-move advantage ``eta`` and a draw parameter ``nu`` (Davidson 1970)::

    P(i wins) : P(j wins) : P(draw) = e^(theta_i + eta) : e^theta_j : nu * e^((theta_i + eta + theta_j) / 2)

which is a multinomial logit in the parameters ``(theta, eta, log nu)``, so the
log-likelihood is concave and Newton's method converges fast. Ratings are fitted
by maximum a posteriori with a weak prior, because tournaments routinely contain
perfect scores (a search agent never loses to the random one) where plain
maximum likelihood runs off to infinity: every agent gets ``prior_draws``
virtual draws against a rating-0 opponent (as in BayesElo), and ``eta`` and
``log nu`` get a normal prior with standard deviation 5 (nats). Ratings sum to
zero; 95% intervals come from the observed information (the Hessian at the
optimum). Elo = ``400 / ln 10 * theta``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ELO_PER_NAT = 400.0 / math.log(10.0)
Z95 = 1.959963984540054


@dataclass
class Ratings:
    """A fitted rating list; index ``i`` is ``names[i]``."""

    names: list[str]
    theta: np.ndarray  # natural-log strengths, summing to zero
    cov: np.ndarray  # covariance of theta
    eta: float  # first-move advantage (nats)
    eta_se: float
    log_nu: float  # Davidson draw parameter (log)
    log_nu_se: float
    games: np.ndarray  # rated games per agent
    iterations: int
    anchor: str | None = None  # the agent rated 0 (tournament.rating_anchor), None: ratings sum to zero

    @property
    def elo(self) -> np.ndarray:
        return self.theta * ELO_PER_NAT

    @property
    def elo_se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0, None)) * ELO_PER_NAT

    @property
    def elo_ci(self) -> np.ndarray:
        """Half-width of each rating's 95% interval, in Elo."""
        return Z95 * self.elo_se

    @property
    def first_move_elo(self) -> float:
        return self.eta * ELO_PER_NAT

    @property
    def first_move_elo_ci(self) -> float:
        return Z95 * self.eta_se * ELO_PER_NAT

    def diff_se(self, i: int, j: int) -> float:
        """Standard error of ``theta_i - theta_j`` (nats)."""
        v = self.cov[i, i] + self.cov[j, j] - 2 * self.cov[i, j]
        return math.sqrt(max(v, 0.0))

    def los(self, i: int, j: int) -> float:
        """Likelihood of superiority: the probability that ``i`` is stronger than ``j``."""
        se = self.diff_se(i, j)
        d = self.theta[i] - self.theta[j]
        if se == 0:
            return 0.5 if d == 0 else float(d > 0)
        return 0.5 * (1 + math.erf(d / se / math.sqrt(2)))

    def order(self) -> list[int]:
        """Indices from strongest to weakest."""
        return sorted(range(len(self.names)), key=lambda i: -self.theta[i])

    def expected(self, i: int, j: int, i_first: bool = True) -> tuple[float, float, float]:
        """Model (win, loss, draw) probabilities of ``i`` against ``j``."""
        a = self.theta[i] + (self.eta if i_first else 0.0)
        b = self.theta[j] + (0.0 if i_first else self.eta)
        z = np.array([a, b, self.log_nu + (a + b) / 2])
        p = np.exp(z - z.max())
        p /= p.sum()
        return float(p[0]), float(p[1]), float(p[2])


def outcome_counts(games, names: list[str]) -> np.ndarray:
    """``counts[i, j, k]``: games with ``i`` first and ``j`` second ending ``k`` (0 first wins, 1 second wins, 2 draw).

    ``games`` yields ``(p1, p2, winner)`` with winner 1, 2 or 0.
    """
    index = {n: i for i, n in enumerate(names)}
    counts = np.zeros((len(names), len(names), 3))
    for p1, p2, winner in games:
        counts[index[p1], index[p2], {1: 0, 2: 1, 0: 2}[winner]] += 1
    return counts


def fit_ratings(
    counts: np.ndarray,
    names: list[str],
    prior_draws: float = 1.0,
    prior_sd: float = 5.0,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> Ratings:
    """Fit the model to ``counts`` (see :func:`outcome_counts`) by Newton's method."""
    n = len(names)
    if n < 1:
        raise ValueError("no agents to rate")
    z_basis = _sum_zero_basis(n)  # theta = Z @ phi
    # Full parameter u = (theta_0..theta_{n-1}, eta, log_nu); optimised parameter beta = (phi, eta, log_nu).
    t_map = np.zeros((n + 2, n + 1))
    t_map[:n, : n - 1] = z_basis
    t_map[n, n - 1] = 1.0
    t_map[n + 1, n] = 1.0
    cells = [(i, j, counts[i, j]) for i in range(n) for j in range(n) if counts[i, j].sum() > 0]

    def evaluate(beta: np.ndarray, need_hess: bool = True):
        u = t_map @ beta
        theta, eta, log_nu = u[:n], u[n], u[n + 1]
        f = -0.5 * (eta**2 + log_nu**2) / prior_sd**2
        g = np.zeros(n + 2)
        g[n] -= eta / prior_sd**2
        g[n + 1] -= log_nu / prior_sd**2
        h = np.zeros((n + 2, n + 2))
        h[n, n] -= 1 / prior_sd**2
        h[n + 1, n + 1] -= 1 / prior_sd**2
        for i, j, c in cells:
            x = np.zeros((3, n + 2))
            x[0, i] += 1
            x[0, n] += 1
            x[1, j] += 1
            x[2, i] += 0.5
            x[2, j] += 0.5
            x[2, n] += 0.5
            x[2, n + 1] += 1
            z = x @ u
            zmax = z.max()
            lse = zmax + math.log(np.exp(z - zmax).sum())
            p = np.exp(z - lse)
            total = c.sum()
            f += float(c @ z - total * lse)
            m = p @ x
            g += c @ x - total * m
            if need_hess:
                h -= total * ((x.T * p) @ x - np.outer(m, m))
        if prior_draws > 0:
            zv = np.stack([theta, np.zeros(n), theta / 2], axis=1)
            zmax = zv.max(axis=1, keepdims=True)
            lse = (zmax + np.log(np.exp(zv - zmax).sum(axis=1, keepdims=True)))[:, 0]
            pv = np.exp(zv - lse[:, None])
            f += prior_draws * float(np.sum(theta / 2 - lse))
            mean = pv[:, 0] + 0.5 * pv[:, 2]
            g[:n] += prior_draws * (0.5 - mean)
            var = pv[:, 0] + 0.25 * pv[:, 2] - mean**2
            h[np.arange(n), np.arange(n)] -= prior_draws * var
        return f, t_map.T @ g, (t_map.T @ h @ t_map if need_hess else None)

    beta = np.zeros(n + 1)
    f, g, h = evaluate(beta)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - reported as iterations
        try:
            step = np.linalg.solve(h, -g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(h, -g, rcond=None)[0]
        t = 1.0
        while True:
            f_new, g_new, h_new = evaluate(beta + t * step)
            if f_new >= f - 1e-12 or t < 1e-8:
                break
            t *= 0.5
        beta = beta + t * step
        converged = np.max(np.abs(g_new)) < tol or abs(f_new - f) < tol * max(1.0, abs(f))
        f, g, h = f_new, g_new, h_new
        if converged:
            break
    cov_beta = np.linalg.pinv(-h)
    u = t_map @ beta
    cov_u = t_map @ cov_beta @ t_map.T
    games = counts.sum(axis=2).sum(axis=0) + counts.sum(axis=2).sum(axis=1)
    return Ratings(
        list(names),
        u[:n].copy(),
        cov_u[:n, :n].copy(),
        float(u[n]),
        math.sqrt(max(cov_u[n, n], 0)),
        float(u[n + 1]),
        math.sqrt(max(cov_u[n + 1, n + 1], 0)),
        games,
        it,
    )


def _sum_zero_basis(n: int) -> np.ndarray:
    """An orthonormal ``n x (n-1)`` basis of the vectors whose entries sum to zero."""
    if n == 1:
        return np.zeros((1, 0))
    m = np.eye(n) - 1.0 / n
    q, _ = np.linalg.qr(m[:, : n - 1])
    return q
