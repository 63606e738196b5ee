"""A pentanomial sequential probability ratio test for A/B matches, as fastchess and Fishtest run it.

The data are colour-swapped pairs (:mod:`tournament.pairs`): each pair gives agent A 0, 1/2, 1, 3/2 or 2
points, so a pair's score per game ``x`` is 0, 1/4, 1/2, 3/4 or 1, and the pentanomial counts ``n_0..n_4``
of the five classes are the sufficient statistic (pairs are independent; the games within one are not).
The test weighs H0 "A is ``elo0`` stronger than B" against H1 "A is ``elo1`` stronger" with the *generalized*
SPRT (GSPRT): for each hypothesis, the maximum-likelihood pentanomial distribution under its constraint
(M. Van den Bergh, "Comparing the approximations for the generalized log likelihood ratio of a multinomial
distribution" and "Comments on normalized Elo"), and

    LLR = N * sum_i  p̂_i * log(p1_i / p0_i),   p̂ = the observed frequencies (zero counts are set to 1e-3),

compared after every pair with Wald's bounds ``log(beta / (1 - alpha))`` (accept H0) and
``log((1 - beta) / alpha)`` (accept H1). Two models say what an Elo difference means:

* ``logistic`` (the default here): expected score per game ``s = 1 / (1 + 10^(-elo/400))``, the same scale as
  :mod:`tournament.rating`; the constrained maximum-likelihood distribution is ``p̂_i / (1 + θ (x_i - s))``.
* ``normalized`` (fastchess's default): normalized Elo, ``t = (s - 1/2) / σ_pair`` with
  ``t = √2 · elo / (800 / ln 10)``; its maximum-likelihood distribution is found by a fixed-point iteration.
  nElo is independent of how drawish the match is, but does not compare with the rating table.

Error rates: over repeated tests the probability of accepting H1 when the true difference is ``elo0`` is
about ``alpha`` and of accepting H0 when it is ``elo1`` about ``beta`` (Wald's bounds are approximate; with
a test after every pair the real rates are usually a little below the nominal ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bttt.errors import BtttError

H0, H1, CONTINUE = "H0", "H1", "continue"
MODELS = ("logistic", "normalized")
#: A pair's score per game by pentanomial class.
PAIR_SCORES = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
_ELO_PER_NAT_NORMALIZED = 800.0 / math.log(10.0)
_Z95 = 1.959963984540054


class SprtError(BtttError):
    """An SPRT specification that cannot be used."""


@dataclass(frozen=True)
class SprtSpec:
    """The hypotheses and error rates of a test: H0 elo = ``elo0`` against H1 elo = ``elo1`` (elo0 < elo1)."""

    elo0: float
    elo1: float
    alpha: float = 0.05
    beta: float = 0.05
    model: str = "logistic"

    def __post_init__(self) -> None:
        for name in ("elo0", "elo1", "alpha", "beta"):
            if not math.isfinite(getattr(self, name)):
                raise SprtError(f"SPRT {name} must be a finite number, got {getattr(self, name)!r}")
        if not self.elo0 < self.elo1:
            raise SprtError(f"SPRT elo0 must be less than elo1, got elo0={self.elo0:g}, elo1={self.elo1:g}")
        for name in ("alpha", "beta"):
            if not 0 < getattr(self, name) < 1:
                raise SprtError(f"SPRT {name} must lie strictly between 0 and 1, got {getattr(self, name):g}")
        if self.alpha + self.beta >= 1:
            raise SprtError(f"SPRT alpha + beta must be below 1, got {self.alpha:g} + {self.beta:g}")
        if self.model not in MODELS:
            raise SprtError(f"SPRT model must be one of {', '.join(MODELS)}, got {self.model!r}")

    @classmethod
    def parse(cls, text: str) -> SprtSpec:
        """``"elo0=0,elo1=10,alpha=0.05,beta=0.05[,model=logistic|normalized]"`` (alpha, beta default 0.05)."""
        example = "e.g. elo0=0,elo1=10,alpha=0.05,beta=0.05"
        values: dict[str, float | str] = {}
        for part in (p.strip() for p in (text or "").split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep or not value:
                raise SprtError(f"SPRT spec {text!r}: {part!r} is not key=value ({example})")
            if key not in ("elo0", "elo1", "alpha", "beta", "model"):
                raise SprtError(f"SPRT spec {text!r}: unknown key {key!r} (keys: elo0, elo1, alpha, beta, model)")
            if key in values:
                raise SprtError(f"SPRT spec {text!r}: {key} given twice")
            if key == "model":
                values[key] = value.lower()
                continue
            try:
                values[key] = float(value)
            except ValueError:
                raise SprtError(f"SPRT spec {text!r}: {key}={value!r} is not a number ({example})") from None
        missing = [k for k in ("elo0", "elo1") if k not in values]
        if missing:
            raise SprtError(f"SPRT spec {text!r}: {' and '.join(missing)} missing ({example})")
        return cls(**values)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"elo0={self.elo0:g},elo1={self.elo1:g},alpha={self.alpha:g},beta={self.beta:g},model={self.model}"

    @property
    def lower(self) -> float:
        """The LLR at or below which H0 is accepted."""
        return math.log(self.beta / (1 - self.alpha))

    @property
    def upper(self) -> float:
        """The LLR at or above which H1 is accepted."""
        return math.log((1 - self.beta) / self.alpha)


def logistic_score(elo) -> np.ndarray:
    """Expected score per game of an ``elo`` advantage on the logistic scale."""
    return 1.0 / (1.0 + 10.0 ** (-np.asarray(elo, dtype=float) / 400.0))


def _tilted(phat: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``phat / (1 + θ c)`` with ``θ`` the root of ``sum phat * c / (1 + θ c) = 0``, for each row.

    That root maximises the concave ``g(θ) = sum phat * log(1 + θ c)`` (the dual of the constrained maximum
    likelihood), so a damped Newton iteration from ``θ = 0`` converges for every row: a step is halved until it
    stays inside the domain ``1 + θ c > 0`` and does not lower ``g``. ``c`` has both signs and ``phat > 0``.
    Rows leave the iteration as they converge.
    """
    shape = phat.shape
    ph = phat.reshape(-1, shape[-1])
    cs = np.broadcast_to(c, shape).reshape(-1, shape[-1])
    theta = np.zeros(len(ph))
    active = np.arange(len(ph))
    value = np.zeros(len(ph))  # g(0) = 0
    for _ in range(200):
        if not len(active):
            break
        p_, c_, th = ph[active], cs[active], theta[active]
        d = 1.0 + th[:, None] * c_
        f = np.sum(p_ * c_ / d, axis=-1)
        df = -np.sum(p_ * c_ * c_ / (d * d), axis=-1)
        step = -f / df
        t = np.ones_like(th)
        v0 = value[active]
        for _ in range(60):
            trial = th + t * step
            dt = 1.0 + trial[:, None] * c_
            ok = np.all(dt > 0, axis=-1)
            v = np.sum(p_ * np.log(np.where(dt > 0, dt, 1.0)), axis=-1)
            accept = ok & (v >= v0 - 1e-15 * (1.0 + np.abs(v0)))
            if np.all(accept):
                break
            t = np.where(accept, t, 0.5 * t)
        theta[active] = np.where(accept, trial, th)
        value[active] = np.where(accept, v, v0)
        done = (np.abs(f) <= 1e-15) | (np.abs(t * step) <= 1e-14 * (1.0 + np.abs(th))) | ~accept
        active = active[~done]
    p = ph / (1.0 + theta[:, None] * cs)
    p /= p.sum(axis=-1, keepdims=True)
    return p.reshape(shape)


def _mle_logistic(phat: np.ndarray, s: float) -> np.ndarray:
    return _tilted(phat, np.broadcast_to(PAIR_SCORES - s, phat.shape))


def _mle_normalized(phat: np.ndarray, t: float) -> np.ndarray:
    """Maximum-likelihood distribution with ``(mean - 1/2) / sd = t``: Van den Bergh's fixed-point iteration."""
    a = PAIR_SCORES
    p = np.full(phat.shape, 1.0 / len(a))
    for _ in range(100):
        mu = np.sum(p * a, axis=-1, keepdims=True)
        sigma = np.sqrt(np.sum(p * (a - mu) ** 2, axis=-1, keepdims=True))
        phi = a - 0.5 - 0.5 * t * sigma * (1.0 + ((a - mu) / sigma) ** 2)
        new = _tilted(phat, phi)
        done = np.max(np.abs(new - p)) < 1e-12
        p = new
        if done:
            break
    return p


def pentanomial_llr(counts, spec: SprtSpec) -> np.ndarray:
    """The GSPRT log-likelihood ratio of H1 against H0 for pentanomial ``counts`` (shape ``(..., 5)``).

    Args:
        counts: pairs worth 0, 1/2, 1, 3/2 and 2 points to agent A (any leading shape).
        spec: the hypotheses.
    """
    c = np.asarray(counts, dtype=float)
    if c.shape[-1:] != (5,):
        raise SprtError(f"pentanomial counts have 5 classes (0, 1/2, 1, 3/2, 2 points), got shape {c.shape}")
    empty = c.sum(axis=-1) == 0
    c = np.where(c == 0, 1e-3, c)  # fastchess's regularisation: a class never seen counts 1e-3
    total = c.sum(axis=-1)
    phat = c / total[..., None]
    if spec.model == "logistic":
        p0 = _mle_logistic(phat, float(logistic_score(spec.elo0)))
        p1 = _mle_logistic(phat, float(logistic_score(spec.elo1)))
    else:
        scale = math.sqrt(2.0) / _ELO_PER_NAT_NORMALIZED
        p0 = _mle_normalized(phat, spec.elo0 * scale)
        p1 = _mle_normalized(phat, spec.elo1 * scale)
    llr = total * np.sum(phat * (np.log(p1) - np.log(p0)), axis=-1)
    return np.where(empty, 0.0, llr)


def decide(llr, spec: SprtSpec):
    """H1, H0 or continue for each LLR (an array of str for array input)."""
    value = np.asarray(llr, dtype=float)
    out = np.where(value >= spec.upper, H1, np.where(value <= spec.lower, H0, CONTINUE))
    return str(out) if out.ndim == 0 else out


def pentanomial_elo(counts) -> tuple[float, float, float]:
    """(Elo, low, high): the logistic Elo of the mean pair score with a 95% interval from the pair variance.

    The interval is fastchess's: mean score ± 1.96 · sqrt(pair variance / pairs), mapped to Elo (±inf at a
    score of 1 or 0; nan without pairs).
    """
    c = np.asarray(counts, dtype=float)
    n = c.sum()
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p = c / n
    score = float(p @ PAIR_SCORES)
    half = _Z95 * math.sqrt(float(p @ (PAIR_SCORES - score) ** 2) / n)
    return _elo(score), _elo(score - half), _elo(score + half)


def _elo(score: float) -> float:
    if score <= 0:
        return -math.inf
    if score >= 1:
        return math.inf
    return -400.0 * math.log10(1.0 / score - 1.0)


@dataclass(frozen=True)
class SprtStatus:
    """Where a test stands: its LLR against the bounds, and the Elo the pairs so far show."""

    spec: SprtSpec
    counts: tuple[int, int, int, int, int]
    llr: float
    decision: str
    elo: float
    elo_low: float
    elo_high: float

    @property
    def pairs(self) -> int:
        return sum(self.counts)

    def describe(self) -> str:
        verdict = {H1: "H1 accepted", H0: "H0 accepted", CONTINUE: "not decided"}[self.decision]
        return (
            f"SPRT [{self.spec.elo0:g}, {self.spec.elo1:g}] ({self.spec.model}, alpha={self.spec.alpha:g}, "
            f"beta={self.spec.beta:g}): LLR {self.llr:.2f} in ({self.spec.lower:.2f}, {self.spec.upper:.2f}), "
            f"{verdict} after {self.pairs} pairs {list(self.counts)}; Elo {self.elo:+.1f} "
            f"[{self.elo_low:+.1f}, {self.elo_high:+.1f}]"
        )


@dataclass
class Sprt:
    """A test fed pair by pair as results stream in (from agent A's side).

    Args:
        spec: the hypotheses and error rates.
        counts: pentanomial counts already observed (e.g. on resume).
    """

    spec: SprtSpec
    counts: np.ndarray = field(default_factory=lambda: np.zeros(5, dtype=np.int64))

    def __post_init__(self) -> None:
        self.counts = np.array(self.counts, dtype=np.int64).reshape(5)
        if np.any(self.counts < 0):
            raise SprtError(f"pentanomial counts cannot be negative, got {self.counts.tolist()}")

    def add(self, points: float) -> str:
        """Record one pair worth ``points`` (0, 0.5, 1, 1.5 or 2) to A; returns the decision."""
        k = round(float(points) * 2)
        if not (0 <= k <= 4 and abs(points * 2 - k) < 1e-9):
            raise SprtError(f"a pair is worth 0, 0.5, 1, 1.5 or 2 points, got {points!r}")
        self.counts[k] += 1
        return self.decision

    def add_counts(self, counts) -> str:
        """Record several pairs at once (pentanomial counts); returns the decision."""
        c = np.asarray(counts, dtype=np.int64).reshape(5)
        if np.any(c < 0):
            raise SprtError(f"pentanomial counts cannot be negative, got {c.tolist()}")
        self.counts += c
        return self.decision

    @property
    def pairs(self) -> int:
        return int(self.counts.sum())

    @property
    def llr(self) -> float:
        return float(pentanomial_llr(self.counts, self.spec))

    @property
    def decision(self) -> str:
        return decide(self.llr, self.spec)

    def status(self) -> SprtStatus:
        llr = self.llr
        elo, lo, hi = pentanomial_elo(self.counts)
        return SprtStatus(self.spec, tuple(int(x) for x in self.counts), llr, decide(llr, self.spec), elo, lo, hi)
