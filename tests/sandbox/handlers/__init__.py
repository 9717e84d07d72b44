"""Handler modules written the way teams write them, for tests/sandbox/test_third_party.py."""
