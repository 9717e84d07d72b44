"""A handler module whose init takes 12 virtual seconds: past Lambda's 10 s init limit, so
Lambda runs it again in the first invocation, under the function's timeout."""

import time

time.sleep(12)


def handle(event: object, context: object) -> object:
    return {"statusCode": 200, "body": "{}"}
