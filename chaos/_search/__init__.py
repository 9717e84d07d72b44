"""Fault-space search: Hypothesis's engine looks for a schedule under which an experiment's
assertions fail and shrinks it (`space` builds the strategies, `run` drives the search)."""
