"""A handler module whose init fails: a setting it needs is missing."""

import os

TABLE = os.environ["NOT_SET_ANYWHERE"]


def handle(event: object, context: object) -> object:
    return None
