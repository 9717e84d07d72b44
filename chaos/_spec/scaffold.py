"""The commented experiment file `chaos-arena new NAME` writes: a valid start to edit.

Every section of the format appears, the optional ones commented out, so the file doubles as
a short reference. A test keeps the template valid.
"""

from __future__ import annotations

import re

_TEMPLATE = """\
{modeline}# A chaos-arena experiment. Check it with `chaos-arena validate {name}.chaos.yaml`,
# run it with `chaos-arena run {name}.chaos.yaml`.
# Durations carry units (250ms, 30s, 5m, 1h), rates too (20/s, 600/m), and shares are
# percentages (5%) or fractions from 0 to 1 (0.05).

experiment: {name}                 # unique in this file; names the test items
description: Lambda fails a tenth of its invocations for two minutes.
seed: 1                            # same seed, same run, byte for byte
duration: 10m                      # simulated time, drain included

systems:                           # reference systems or paths to system definitions
  - sync
  - eda
  # - eda:                         # overrides, keyed as in the system definition file
  #     queue: {{visibility_timeout: 2m, dead_letter: {{max_receive_count: 3}}}}
  #     consumer: {{batch_size: 5}}
  #     functions: {{consumer: {{reserved_concurrency: 20}}}}
  #     tables: {{orders: {{write_capacity: 50}}}}
  # - ./my-system.yaml

workload:
  steady: {{rate: 20/s, for: 5m}}    # from `at` (default 0s) for `for` (default: to the end)
  bursts:
    - {{rate: 100/s, at: 2m, for: 20s}}
  # ramps:
  #   - {{from: 0/s, to: 50/s, at: 1m, for: 2m}}
  # arrivals: poisson              # uniform (default) or poisson
  poison: 1%                       # payloads the handler always rejects
  # payload_size: 1KB
  # client:
  #   timeout: 30s
  #   retry: {{attempts: 3, backoff: 1s, max_backoff: 20s, when: [5xx, 429, timeout]}}

faults:                            # `chaos-arena list` shows every fault type
  - lambda.error: {{probability: 10%, at: 1m, for: 2m}}
  # - dynamodb.throttle: {{probability: 50%, at: 3m, for: 1m, target: orders}}
  # - lambda.latency: {{delay: 2s, at: 1m, for: 1m, ramp: {{steps: 4, start: 25%}}}}

assertions:                        # `chaos-arena list` shows every assertion
  - no_loss
  - eventual_completion: {{within: 5m}}
  - no_duplicate_effects
  - success_rate: {{min: 99%}}       # the sync client sees the errors; nothing resends
  # - dlq: only_poison

expect:                            # the verdict each system should get (default: survives)
  sync: fails
  eda: survives
"""

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def valid_name(name: str) -> bool:
    """Whether `name` can name an experiment (and its file)."""
    return bool(_NAME.match(name)) and len(name) <= 80


def experiment_template(name: str, *, schema: str | None = None) -> str:
    """The text of a new experiment file named `name`, optionally wired to a JSON Schema."""
    modeline = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    return _TEMPLATE.format(name=name, modeline=modeline)
