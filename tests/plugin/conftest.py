"""The plugin tests run pytest itself (pytester) in temporary directories.

Each test module enables pytester with `pytest_plugins`: pytest refuses that variable in a
conftest below the rootdir.
"""

from __future__ import annotations

import chaos._engine.runner  # noqa: F401
from chaos._loading import experiment_model

# pytester forgets the modules an in-process run imported, but not the registries those
# modules filled: load the built-ins (and moto, via the engine) once, out here, so inner
# sessions neither register them twice nor pay for importing moto again.
experiment_model()  # (loads every registry)
