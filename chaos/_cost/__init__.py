"""What a run cost: the billed quantities it used (`usage`), priced with a table (`bill`).

Pure functions of a `RunResult` (its ledger, its system definition and the sizes kept beside
the ledger) and a `chaos._spec.prices.PriceTable`; no AWS model is consulted.
"""

from chaos._cost.bill import Bill, Line, price_run
from chaos._cost.usage import Use, usage

__all__ = ["Bill", "Line", "Use", "price_run", "usage"]
