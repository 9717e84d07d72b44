"""chaos-arena: pytest-native chaos experiments for serverless AWS architectures.

Importing `chaos` is cheap (no moto, no boto3): the pytest plugin loads it in every session.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
