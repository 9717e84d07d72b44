"""The base of every spec model: frozen, closed (unknown keys are errors), aliases allowed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """A frozen, closed model: parsed once from YAML, never mutated afterwards."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        use_attribute_docstrings=True,
    )
