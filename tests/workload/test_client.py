"""The request bodies the workload sends."""

from __future__ import annotations

import json

import pytest

from chaos._workload.client import request_body


@pytest.mark.parametrize("size", [0, 100, 256, 1024, 4096])
def test_a_request_body_is_json_of_the_payload_size(size: int) -> None:
    body = request_body("r000001", False, "c000001", size)
    document = json.loads(body)
    assert document["request_id"] == "r000001" and document["connection_id"] == "c000001"
    assert len(body) == max(size, len(request_body("r000001", False, "c000001", 0)))
    assert set(document["payload"]) <= {"x"}
