"""A handler module whose init waits for the clock forever (a poll that never ends)."""

import time

_deadline = time.time() + 10**9
while time.time() < _deadline:
    pass


def handle(event: object, context: object) -> object:
    return None
