"""The reference systems chaos-arena compares: `sync` and `eda` (event-driven).

Each is handler code making real boto3 calls plus a `system.yaml`, defined exactly the way
a user defines their own system.
"""
