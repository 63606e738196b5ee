"""Bradley-Terry-Davidson rating intervals by a bootstrap over colour-swapped pairs.

The point estimate is :func:`tournament.rating.fit_ratings` on both games of every complete pair. The
intervals resample **pairs within strata**, a stratum being one layout (cell) and one pairing of agents: a
replicate draws, in each stratum of ``n`` pairs, ``n - 1`` pairs with replacement and counts each ``n / (n - 1)``
times (the Rao-Wu rescaling of :mod:`tournament.bootstrap`; a stratum of one pair is kept as it is), and refits
the same model to the two games of every drawn pair. So the two games of a pair always travel together (their
colours are balanced and their shared opening's effect is not counted twice), every replicate keeps the
schedule's design (the same pairings on the same cells, as many games), and the cells are fixed: the interval
is about these cells, played with openings drawn as the tournament drew them, not about other cells.

Replicates are fitted all at once by a vectorised Newton method on exactly the model and prior of
``fit_ratings`` (checked against it in the tests), started from the point estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tournament.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_REPS, Strata, as_generator, percentile_interval
from tournament.pairs import PairTable
from tournament.rating import ELO_PER_NAT, Ratings, _sum_zero_basis, fit_ratings


def _design(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """(P, 3, n + 2) rows of the multinomial logit for (i first wins, j second wins, draw); u = (theta, eta, nu)."""
    x = np.zeros((len(pairs), 3, n + 2))
    for k, (i, j) in enumerate(pairs):
        x[k, 0, i] += 1
        x[k, 0, n] += 1
        x[k, 1, j] += 1
        x[k, 2, i] += 0.5
        x[k, 2, j] += 0.5
        x[k, 2, n] += 0.5
        x[k, 2, n + 1] += 1
    return x


def fit_ratings_batch(
    counts: np.ndarray,
    prior_draws: float = 1.0,
    prior_sd: float = 5.0,
    start: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> np.ndarray:
    """Fit :func:`tournament.rating.fit_ratings`'s model to many count tables at once.

    Args:
        counts: (R, n, n, 3) outcome counts (see :func:`tournament.rating.outcome_counts`), fractional allowed.
        prior_draws, prior_sd: the prior of ``fit_ratings``.
        start: (n + 2,) starting parameters ``(theta, eta, log_nu)`` for every table (default zeros).
        tol, max_iter: convergence as in ``fit_ratings``.

    Returns:
        (R, n + 2) posterior modes ``(theta_0..theta_{n-1}, eta, log_nu)``, ``theta`` summing to zero.
    """
    counts = np.asarray(counts, dtype=float)
    reps, n = counts.shape[0], counts.shape[1]
    z_basis = _sum_zero_basis(n)
    t_map = np.zeros((n + 2, n + 1))
    t_map[:n, : n - 1] = z_basis
    t_map[n, n - 1] = 1.0
    t_map[n + 1, n] = 1.0
    seen = counts.sum(axis=(0, 3)) > 0
    pairs = [(i, j) for i in range(n) for j in range(n) if seen[i, j]]
    x = _design(n, pairs)  # (P, 3, n + 2)
    c = np.stack([counts[:, i, j] for i, j in pairs], axis=1) if pairs else np.zeros((reps, 0, 3))  # (R, P, 3)
    total = c.sum(axis=2)  # (R, P)
    idx = np.arange(n)
    xx = np.einsum("pka,pkb->pkab", x, x).reshape(len(pairs) * 3, (n + 2) ** 2)  # for the Hessian
    x_flat = x.reshape(len(pairs) * 3, n + 2)
    cx = c.reshape(reps, -1) @ x_flat  # (R, n + 2): the data term of the gradient, fixed

    def evaluate(beta: np.ndarray, rows: np.ndarray):
        """Log-posterior, gradient and Hessian (in beta) of the tables ``rows`` at ``beta`` (one row each)."""
        c_, total_, cx_ = c[rows], total[rows], cx[rows]
        u = beta @ t_map.T  # (R, n + 2)
        theta, eta, log_nu = u[:, :n], u[:, n], u[:, n + 1]
        f = -0.5 * (eta**2 + log_nu**2) / prior_sd**2
        g = np.zeros((len(u), n + 2))
        g[:, n] -= eta / prior_sd**2
        g[:, n + 1] -= log_nu / prior_sd**2
        z = (u @ x_flat.T).reshape(len(u), -1, 3)  # (R, P, 3)
        zmax = z.max(axis=2, keepdims=True)
        lse = zmax[..., 0] + np.log(np.exp(z - zmax).sum(axis=2))
        p = np.exp(z - lse[..., None])
        f = f + np.einsum("rpk,rpk->r", c_, z) - np.einsum("rp,rp->r", total_, lse)
        m = np.matmul(p[:, :, None, :], x[None])[:, :, 0, :]  # (R, P, n + 2)
        tm = total_[..., None] * m
        g += cx_ - tm.sum(axis=1)
        h = np.zeros((len(u), n + 2, n + 2))
        h[:, n, n] -= 1 / prior_sd**2
        h[:, n + 1, n + 1] -= 1 / prior_sd**2
        xpx = ((total_[..., None] * p).reshape(len(u), -1) @ xx).reshape(len(u), n + 2, n + 2)
        h -= xpx - np.matmul(tm.transpose(0, 2, 1), m)
        if prior_draws > 0:
            zv = np.stack([theta, np.zeros_like(theta), theta / 2], axis=2)
            zmax = zv.max(axis=2, keepdims=True)
            lse_v = zmax[..., 0] + np.log(np.exp(zv - zmax).sum(axis=2))
            pv = np.exp(zv - lse_v[..., None])
            f = f + prior_draws * np.sum(theta / 2 - lse_v, axis=1)
            mean = pv[..., 0] + 0.5 * pv[..., 2]
            g[:, :n] += prior_draws * (0.5 - mean)
            var = pv[..., 0] + 0.25 * pv[..., 2] - mean**2
            h[:, idx, idx] -= prior_draws * var
        gb = g @ t_map
        return f, gb, t_map.T @ h @ t_map

    if start is None:
        beta = np.zeros((reps, n + 1))
    else:
        beta = np.tile(np.linalg.lstsq(t_map, np.asarray(start, dtype=float), rcond=None)[0], (reps, 1))
    f, g, h = evaluate(beta, np.arange(reps))
    active = np.arange(reps)
    for _ in range(max_iter):
        if not len(active):
            break
        try:
            step = np.linalg.solve(h[active], -g[active][..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(h[k], -g[k], rcond=None)[0] for k in active])
        t = np.ones(len(active))
        trial = beta[active] + step
        f_t, g_t, h_t = evaluate(trial, active)
        for _ in range(30):  # halve the step of the tables whose posterior would fall
            worse = (f_t < f[active] - 1e-12) & (t >= 1e-8)
            if not worse.any():
                break
            t[worse] *= 0.5
            trial[worse] = beta[active[worse]] + t[worse, None] * step[worse]
            f_t[worse], g_t[worse], h_t[worse] = evaluate(trial[worse], active[worse])
        converged = (np.max(np.abs(g_t), axis=1) < tol) | (np.abs(f_t - f[active]) < tol * np.maximum(1.0, np.abs(f_t)))
        beta[active], f[active], g[active], h[active] = trial, f_t, g_t, h_t
        active = active[~converged]
    return beta @ t_map.T


@dataclass
class RatingBootstrap:
    """Ratings with bootstrap intervals; index ``i`` is ``names[i]``, Elo replicates sum to zero per row."""

    names: list[str]
    point: Ratings  # fit_ratings on the games of the complete pairs
    elo_replicates: np.ndarray  # (reps, n)
    first_move_replicates: np.ndarray  # (reps,) first-move advantage in Elo
    confidence: float
    strata: int  # (cell, pairing) strata
    single_pair_strata: int  # strata of one pair: they add no variance

    @property
    def elo(self) -> np.ndarray:
        return self.point.elo

    def interval(self, i: int) -> tuple[float, float]:
        """Percentile interval of agent ``i``'s Elo."""
        lo, hi = percentile_interval(self.elo_replicates[:, i], self.confidence)
        return float(lo), float(hi)

    def intervals(self) -> np.ndarray:
        """(n, 2) low and high Elo of every agent."""
        lo, hi = percentile_interval(self.elo_replicates, self.confidence)
        return np.stack([lo, hi], axis=1)

    def diff_interval(self, i: int, j: int) -> tuple[float, float, float]:
        """(Elo of ``i`` minus ``j``, low, high)."""
        d = self.elo_replicates[:, i] - self.elo_replicates[:, j]
        lo, hi = percentile_interval(d, self.confidence)
        return float(self.elo[i] - self.elo[j]), float(lo), float(hi)

    def los(self, i: int, j: int) -> float:
        """Bootstrap likelihood of superiority: the share of replicates rating ``i`` above ``j`` (ties half)."""
        d = self.elo_replicates[:, i] - self.elo_replicates[:, j]
        return float(np.mean(d > 0) + 0.5 * np.mean(d == 0))

    def first_move_interval(self) -> tuple[float, float, float]:
        lo, hi = percentile_interval(self.first_move_replicates, self.confidence)
        return float(self.point.first_move_elo), float(lo), float(hi)


def bootstrap_ratings(
    pairs: PairTable,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    prior_draws: float = 1.0,
    prior_sd: float = 5.0,
) -> RatingBootstrap:
    """Fit the ratings of ``pairs`` and their intervals by resampling pairs within (cell, pairing) strata.

    Args:
        pairs: the complete colour-swapped pairs (:func:`tournament.pairs.form_pairs`).
        reps: bootstrap replicates.
        rng: a Generator or seed (every replicate derives from it).
        confidence: interval coverage.
        prior_draws, prior_sd: the prior of :func:`tournament.rating.fit_ratings`.
    """
    if len(pairs) == 0:
        raise ValueError("no complete pair to rate")
    rng = as_generator(rng)
    names = list(pairs.agents)
    n = len(names)
    point = fit_ratings(pairs.outcome_counts(), names, prior_draws=prior_draws, prior_sd=prior_sd)
    # One stratum per (layout, a, b). A drawn pair adds its weight to both of its games' cells of the table.
    key = (pairs.layout * n + pairs.a) * n + pairs.b
    _, stratum = np.unique(key, return_inverse=True)
    strata = Strata.from_labels(stratum)
    idx = strata.resample(reps, rng)  # (reps, draws): pair indices, stratum by stratum
    weight = np.repeat(strata.size / np.maximum(strata.draws, 1), strata.draws)
    cell_ab = (pairs.a * n + pairs.b) * 3 + pairs.ab  # flat index into (n, n, 3)
    cell_ba = (pairs.b * n + pairs.a) * 3 + pairs.ba
    offset = np.arange(reps)[:, None] * (n * n * 3)
    w = np.broadcast_to(weight, idx.shape).ravel()
    flat = np.bincount((offset + cell_ab[idx]).ravel(), weights=w, minlength=reps * n * n * 3)
    flat += np.bincount((offset + cell_ba[idx]).ravel(), weights=w, minlength=reps * n * n * 3)
    counts = flat.reshape(reps, n, n, 3)
    start = np.concatenate([point.theta, [point.eta, point.log_nu]])
    u = fit_ratings_batch(counts, prior_draws, prior_sd, start=start)
    return RatingBootstrap(
        names,
        point,
        u[:, :n] * ELO_PER_NAT,
        u[:, n] * ELO_PER_NAT,
        confidence,
        strata.n_strata,
        strata.singletons,
    )
