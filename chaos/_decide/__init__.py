"""Decision-grade answers from many runs: the same experiment over many seeds (survival
rate, interval, flakiness), breaking points found by sweeping a parameter, and the executors
that fan those runs out (the local process pool, or a Dask cluster).

Every run is still one pure run of the engine (`chaos._execution.Job`); this package decides
which runs to make and what they add up to. Nothing here changes what a single run does.
"""
