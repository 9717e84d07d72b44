"""What probe handlers observed, for the tests to read.

Handler modules are imported afresh per execution environment, but this module is imported
the ordinary way (once, from `sys.modules`), so every environment appends to the same list.
"""

from __future__ import annotations

from typing import Any

SEEN: list[Any] = []
