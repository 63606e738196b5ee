"""The pentanomial SPRT: fastchess's reference values, spec parsing, and decisions on simulated matches."""

from __future__ import annotations

import numpy as np
import pytest

from tournament.sprt import (
    CONTINUE,
    H0,
    H1,
    PAIR_SCORES,
    Sprt,
    SprtError,
    SprtSpec,
    decide,
    logistic_score,
    pentanomial_elo,
    pentanomial_llr,
)

# (LL, LD, WL, DD, WD, WW), elo0, elo1, model, LLR: the pentanomial cases of fastchess's app/tests/sprt_test.cpp.
FASTCHESS = [
    ((365, 16618, 36029, 200, 16974, 390), 0, 2, "normalized", 2.25),
    ((127, 4883, 10311, 401, 5150, 104), -1.75, 0.25, "normalized", 3.01),
    ((0, 0, 0, 0, 0, 5550), 0, 5, "normalized", 111.82),
    ((223, 9863, 20279, 1000, 10037, 246), 0.5, 2.5, "logistic", -3.07),
    ((871, 26175, 55003, 980, 26678, 821), 0, 2, "logistic", -4.98),
]


@pytest.mark.parametrize(("six", "elo0", "elo1", "model", "llr"), FASTCHESS)
def test_llr_matches_fastchess(six, elo0, elo1, model, llr):
    ll, ld, wl, dd, wd, ww = six
    got = float(pentanomial_llr([ll, ld, wl + dd, wd, ww], SprtSpec(elo0, elo1, 0.05, 0.05, model)))
    assert got == pytest.approx(llr, rel=0.01)


def test_llr_is_antisymmetric_and_vectorised():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 40, size=(6, 5))
    spec = SprtSpec(-5, 15)
    mirror = SprtSpec(-15, 5)
    llr = pentanomial_llr(counts, spec)
    assert llr.shape == (6,)
    assert np.allclose(pentanomial_llr(counts[:, ::-1], mirror), -llr, atol=1e-9)
    assert np.allclose([float(pentanomial_llr(c, spec)) for c in counts], llr)
    assert float(pentanomial_llr([0, 0, 0, 0, 0], spec)) == 0.0


def test_constrained_mle_is_the_best_distribution_with_that_mean():
    # Independent check of the maximum-likelihood step: no distribution with the same mean score fits better.
    from tournament.sprt import _mle_logistic

    rng = np.random.default_rng(1)
    phat = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
    s = float(logistic_score(40.0))
    p = _mle_logistic(phat, s)
    assert p @ PAIR_SCORES == pytest.approx(s, abs=1e-12) and p.sum() == pytest.approx(1.0)
    best = phat @ np.log(p)
    for _ in range(300):  # random directions that keep the sum and the mean
        d = rng.normal(size=5)
        basis = np.stack([np.ones(5), PAIR_SCORES])
        d -= basis.T @ np.linalg.lstsq(basis.T, d, rcond=None)[0]
        q = p + 1e-3 * d / np.abs(d).max()
        assert phat @ np.log(q) <= best + 1e-12


def test_spec_parsing_and_errors():
    spec = SprtSpec.parse("elo0=0,elo1=10,alpha=0.05,beta=0.1")
    assert (spec.elo0, spec.elo1, spec.alpha, spec.beta, spec.model) == (0, 10, 0.05, 0.1, "logistic")
    assert SprtSpec.parse(str(spec)) == spec
    assert SprtSpec.parse(" elo1 = 5 , elo0=-5, model=NORMALIZED").model == "normalized"
    assert spec.lower == pytest.approx(np.log(0.1 / 0.95)) and spec.upper == pytest.approx(np.log(0.9 / 0.05))
    for text, message in [
        ("elo0=0", "elo1 missing"),
        ("", "elo0 and elo1 missing"),
        ("elo0=10,elo1=0", "less than elo1"),
        ("elo0=0,elo1=10,alpha=1.5", "strictly between 0 and 1"),
        ("elo0=0,elo1=10,alpha=0.6,beta=0.5", "below 1"),
        ("elo0=0,elo1=10,gamma=3", "unknown key 'gamma'"),
        ("elo0=zero,elo1=10", "not a number"),
        ("elo0=0,elo1", "not key=value"),
        ("elo0=0,elo1=10,elo1=20", "given twice"),
        ("elo0=0,elo1=10,model=bayesian", "model must be"),
        ("elo0=nan,elo1=10", "finite"),
    ]:
        with pytest.raises(SprtError, match=message):
            SprtSpec.parse(text)


def test_incremental_test_matches_batch_counts():
    spec = SprtSpec(0, 50)
    test = Sprt(spec)
    assert test.decision == CONTINUE and test.pairs == 0
    for points in [2, 1.5, 1, 2, 2, 1, 1.5]:
        test.add(points)
    assert test.counts.tolist() == [0, 0, 2, 2, 3]
    assert test.llr == pytest.approx(float(pentanomial_llr([0, 0, 2, 2, 3], spec)))
    resumed = Sprt(spec, counts=[0, 0, 2, 2, 3])
    assert resumed.llr == test.llr
    while test.decision == CONTINUE:
        test.add(2)
    assert test.decision == H1 and test.llr >= spec.upper
    status = test.status()
    assert status.decision == H1 and status.pairs == test.pairs and "H1 accepted" in status.describe()
    assert status.elo_low < status.elo < status.elo_high
    with pytest.raises(SprtError, match=r"0, 0\.5, 1"):
        test.add(0.7)
    with pytest.raises(SprtError, match="negative"):
        test.add_counts([1, -1, 0, 0, 0])
    assert list(decide([spec.upper, spec.lower, 0.0], spec)) == [H1, H0, CONTINUE]


def test_pentanomial_elo():
    assert pentanomial_elo([0, 0, 10, 0, 0]) == (0.0, 0.0, 0.0)
    elo, lo, hi = pentanomial_elo([5, 10, 20, 30, 15])
    score = (10 * 0.25 + 20 * 0.5 + 30 * 0.75 + 15) / 80
    assert elo == pytest.approx(-400 * np.log10(1 / score - 1)) and lo < elo < hi
    assert pentanomial_elo([0, 0, 0, 0, 4])[0] == np.inf
    assert np.isnan(pentanomial_elo([0, 0, 0, 0, 0])[0])


# ---------------------------------------------------------------- simulated matches of known Elo
BASE = np.array([0.05, 0.15, 0.5, 0.2, 0.1])  # a drawish, colour-dominated pair distribution (mostly WL/DD)


def pair_distribution(elo: float) -> np.ndarray:
    """The exponential tilt of BASE whose mean score per game is exactly that of ``elo`` (logistic)."""
    target = float(logistic_score(elo))
    lo, hi = -60.0, 60.0
    for _ in range(200):
        lam = 0.5 * (lo + hi)
        p = BASE * np.exp(lam * PAIR_SCORES)
        p /= p.sum()
        lo, hi = (lam, hi) if p @ PAIR_SCORES < target else (lo, lam)
    return p


def run_tests(elo: float, spec: SprtSpec, runs: int, seed: int, block: int = 64, max_pairs: int = 5000):
    """Decisions (1 H1, 0 H0, -1 none) of ``runs`` independent tests, each checked after every pair."""
    rng = np.random.default_rng(seed)
    p = pair_distribution(elo)
    counts = np.zeros((runs, 5), dtype=np.int64)
    decision = np.full(runs, -1)
    active = np.arange(runs)
    played = 0
    while len(active) and played < max_pairs:
        outcomes = rng.choice(5, (len(active), block), p=p)
        cum = counts[active][:, None, :] + np.cumsum(np.eye(5, dtype=np.int64)[outcomes], axis=1)
        llr = pentanomial_llr(cum, spec)
        hit = (llr >= spec.upper) | (llr <= spec.lower)
        stop = hit.any(axis=1)
        first = hit.argmax(axis=1)[stop]
        decision[active[stop]] = llr[stop, first] >= spec.upper
        counts[active] = cum[:, -1]
        active = active[~stop]
        played += block
    return decision


def test_clear_differences_are_decided_the_right_way():
    spec = SprtSpec.parse("elo0=0,elo1=40,alpha=0.05,beta=0.05")
    assert np.all(run_tests(120.0, spec, 100, seed=1) == 1)
    assert np.all(run_tests(-80.0, spec, 100, seed=2) == 0)


def test_error_rates_are_near_alpha_and_beta():
    spec = SprtSpec.parse("elo0=0,elo1=40,alpha=0.05,beta=0.05")
    runs = 400  # a rate of 0.05 has a binomial standard deviation of 0.011 over 400 runs
    false_h1 = np.mean(run_tests(spec.elo0, spec, runs, seed=3) == 1)
    false_h0 = np.mean(run_tests(spec.elo1, spec, runs, seed=4) == 0)
    print(f"\nH1 accepted at elo0 in {false_h1:.4f}, H0 at elo1 in {false_h0:.4f} of {runs} tests")
    assert 0.015 <= false_h1 <= 0.085, false_h1
    assert 0.015 <= false_h0 <= 0.085, false_h0
