"""Repository-wide pytest configuration: Hypothesis profiles.

`ci` (chosen automatically when CI is set, as Hypothesis does) is derandomized with no
deadline; `default` keeps Hypothesis's own defaults but no deadline either, since the
engine's first run in a process pays for imports.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")
