"""The ``bttt tournament`` and ``bttt report`` commands."""
