"""A handler module whose init never ends: it spins at import."""

while True:
    pass


def handle(event: object, context: object) -> object:
    return None
