"""Round-robin tournaments over brick layouts: scheduling, parallel play, storage, ratings and reports.

Modules: ``schedule`` (suites, pairings, seeds), ``play`` (one game with faults and timing), ``runner``
(process pool that survives dying workers), ``ray_backend``, ``driver`` (``run_tournament``), ``store``
(SQLite), ``rating`` (Bradley-Terry-Davidson), ``generalization``, ``report``/``page``/``figures``/``tables``,
and ``commands`` (``bttt tournament``, ``bttt report``). See docs/tournament.md.
"""
