"""Round-robin tournaments over brick layouts: scheduling, parallel play, storage, ratings and reports.

Modules: ``schedule`` (suites, pairings, seeds), ``play`` (one game with faults and timing), ``runner``
(process pool that survives dying workers), ``ray_backend``, ``driver`` (``run_tournament``), ``store``
(SQLite), ``rating`` (Bradley-Terry-Davidson), ``generalization``, ``report``/``page``/``figures``/``tables``,
and ``commands`` (``bttt tournament``, ``bttt report``). Statistics of colour-swapped pairs: ``pairs``
(pentanomial counts), ``sprt``, ``bootstrap`` (resampling), ``rating_bootstrap``, ``cell_stats``
(train-minus-novel gap, IQM, probability of improvement), ``power``, ``rates``; ``openings`` and
``opening_judges`` (opening suites). See docs/tournament.md.
"""
