"""Botocore request signing against moto: what it costs, and whether moto notices its absence.

1. A loop of DynamoDB PutItem calls against moto, through a default (SigV4) client and a
   client made with `signature_version=botocore.UNSIGNED`, in alternating blocks (best of
   --repeat): the cost of a call either way, and the time inside RequestSigner.sign.
2. Inside a chaos-arena run (the burst of bench/compare.py, in this process): the share of
   the run spent signing handler clients' requests, and the same run with signing skipped for
   calls from handler fibers only (a `choose-signer` handler on the run's boto3 session that
   answers UNSIGNED, what chaos-arena could register); CPU best of --repeat, alternating, and
   whether the ledger digest and the outcome stay the same.
3. What moto sees: the same calls signed and unsigned (answers, errors, the account and
   region moto resolves, the access key it records), and with moto's opt-in IAM
   authentication (`INITIAL_NO_AUTH_ACTION_COUNT`), the one place that reads the signature.

    python bench/signing.py
    python bench/signing.py --calls 5000 --repeat 7

Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
import botocore
import botocore.signers
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
BURST = ROOT / "bench" / "burst" / "burst-1000.chaos.yaml"


@contextmanager
def signing_timer() -> Iterator[list[float]]:
    """CPU seconds spent in RequestSigner.sign (all of it: choose-signer, before-sign, SigV4).

    CPU time, not perf_counter: inside a run freezegun makes perf_counter virtual."""
    spent = [0.0]
    original = botocore.signers.RequestSigner.sign

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent[0] += time.process_time() - started

    botocore.signers.RequestSigner.sign = timed
    try:
        yield spent
    finally:
        botocore.signers.RequestSigner.sign = original


def cpu() -> float:
    return time.process_time()


# 1. the loop -------------------------------------------------------------------------------


def put_loop(client: Any, calls: int, offset: int) -> float:
    gc.collect()
    started = cpu()
    for i in range(offset, offset + calls):
        client.put_item(
            TableName="t",
            Item={"pk": {"S": f"item-{i}"}, "payload": {"S": "x" * 200}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    return cpu() - started


def loop(calls: int, repeat: int) -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION
    )
    with mock_aws():
        signed = boto3.client("dynamodb", region_name=REGION)
        unsigned = boto3.client(
            "dynamodb", region_name=REGION, config=Config(signature_version=botocore.UNSIGNED)
        )
        signed.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        put_loop(signed, 200, 0)  # warm both up
        put_loop(unsigned, 200, 200)
        times: dict[str, list[float]] = {"signed": [], "unsigned": []}
        signing: list[float] = []
        offset = 1_000
        for _ in range(repeat):
            with signing_timer() as spent:
                times["signed"].append(put_loop(signed, calls, offset))
            signing.append(spent[0])
            times["unsigned"].append(put_loop(unsigned, calls, offset + calls))
            offset += 2 * calls
    best = {kind: min(values) / calls * 1e3 for kind, values in times.items()}
    saved = best["signed"] - best["unsigned"]
    sign_ms = min(signing) / calls * 1e3
    print(f"1. {calls:,} PutItem calls against moto, best of {repeat}, CPU per call")
    print(f"   signed (SigV4)   {best['signed']:.3f} ms")
    print(f"   unsigned         {best['unsigned']:.3f} ms")
    print(
        f"   saved            {saved:.3f} ms a call, {saved / best['signed']:.1%} of a signed "
        f"call (CPU inside RequestSigner.sign, timed: {sign_ms:.3f} ms a call, "
        f"{sign_ms / best['signed']:.1%}; spread of the signed figure "
        f"{max(times['signed']) / min(times['signed']):.2f}x)"
    )


# 2. inside a run ---------------------------------------------------------------------------


def unsigned_in_fibers() -> Callable[[], None]:
    """Skip signing for calls made from handler fibers; returns the undo."""
    from chaos._aws.moto_env import _run_session
    from chaos._sim.fibers import current_fiber

    def choose_signer(**_kwargs: Any) -> Any:
        return botocore.UNSIGNED if current_fiber() is not None else None

    events = _run_session().events  # clients made later (handler modules' init) copy it
    events.register_first("choose-signer", choose_signer, unique_id="bench-unsigned")
    return lambda: events.unregister("choose-signer", unique_id="bench-unsigned")


def in_run(repeat: int) -> None:
    from chaos._engine.world import run
    from chaos._spec.loader import load_file
    from chaos._systems import resolve_systems

    (loaded,) = load_file(BURST)
    (system,) = resolve_systems(loaded)
    experiment = loaded.experiment

    def one(skip: bool) -> tuple[float, float, Any]:
        undo = unsigned_in_fibers() if skip else (lambda: None)
        try:
            gc.collect()
            with signing_timer() as spent:
                started = cpu()
                result = run(experiment, system)
                return cpu() - started, spent[0], result
        finally:
            undo()

    one(False)  # warm imports and caches up
    signed, unsigned = [], []
    for _ in range(repeat):
        signed.append(one(False))
        unsigned.append(one(True))
    best_signed = min(signed, key=lambda r: r[0])
    best_unsigned = min(unsigned, key=lambda r: r[0])
    calls = best_signed[2].aws_calls
    same_digest = best_signed[2].ledger.digest() == best_unsigned[2].ledger.digest()
    same_final = best_signed[2].final == best_unsigned[2].final
    saved = best_signed[0] - best_unsigned[0]
    print(
        f"\n2. in a chaos-arena run: {BURST.relative_to(ROOT)} ({calls:,} AWS calls from "
        f"handlers), best of {repeat}, CPU"
    )
    print(
        f"   signed     {best_signed[0]:.2f} s, {best_signed[1]:.2f} s of it inside "
        f"RequestSigner.sign ({best_signed[1] / best_signed[0]:.1%}; "
        f"{best_signed[1] / calls * 1e3:.3f} ms a call, set-up calls included)"
    )
    print(
        f"   unsigned   {best_unsigned[0]:.2f} s for handler calls "
        f"(left in sign: {best_unsigned[1]:.2f} s, choose-signer and before-sign events)"
    )
    print(
        f"   saved      {saved:.2f} s, {saved / best_signed[0]:.1%} of the run; "
        f"spread {max(r[0] for r in signed) / best_signed[0]:.2f}x / "
        f"{max(r[0] for r in unsigned) / best_unsigned[0]:.2f}x"
    )
    print(f"   same ledger digest: {same_digest}; same final state: {same_final}")


# 3. what moto sees -------------------------------------------------------------------------


def observe(client: Any) -> dict[str, Any]:
    """Answers and identities for the same sequence of calls."""
    from moto.core.responses import BaseResponse

    seen: dict[str, Any] = {}
    original = BaseResponse.setup_class

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        seen.setdefault("moto identity", set()).add(
            (self.current_account, self.region, self.access_key)
        )
        return result

    BaseResponse.setup_class = spy  # type: ignore[method-assign]
    try:
        client.put_item(TableName="t", Item={"pk": {"S": "a"}})
        try:
            client.put_item(
                TableName="t",
                Item={"pk": {"S": "a"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            seen["conditional put"] = error.response["Error"]["Code"]
        try:
            client.put_item(TableName="missing", Item={"pk": {"S": "a"}})
        except ClientError as error:
            seen["missing table"] = error.response["Error"]["Code"]
        seen["get"] = client.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]
        seen["table ARN"] = client.describe_table(TableName="t")["Table"]["TableArn"]
    finally:
        BaseResponse.setup_class = original  # type: ignore[method-assign]
    return seen


def with_iam_auth(client: Any) -> str:
    """One call with moto's IAM authentication switched on (set_initial_no_auth_action_count)."""
    from moto.core import set_initial_no_auth_action_count

    @set_initial_no_auth_action_count(0)
    def call() -> str:
        try:
            client.list_tables()
        except ClientError as error:
            return f"ClientError {error.response['Error']['Code']}"
        except Exception as error:
            return f"{type(error).__name__}: {str(error)[:60]}"
        return "answered"

    return call()


def s3_get(config: Config | None) -> str:
    """moto's S3 treats a request without an Authorization header as anonymous."""
    s3 = boto3.client("s3", region_name=REGION, config=config)
    owner = boto3.client("s3", region_name=REGION)
    if "bench-bucket" not in [b["Name"] for b in owner.list_buckets()["Buckets"]]:
        owner.create_bucket(Bucket="bench-bucket")
        owner.put_object(Bucket="bench-bucket", Key="k", Body=b"private")
    try:
        return f"answered {s3.get_object(Bucket='bench-bucket', Key='k')['Body'].read()!r}"
    except ClientError as error:
        return f"ClientError {error.response['Error']['Code']}"


def moto_view() -> None:
    with mock_aws():
        signed = boto3.client("dynamodb", region_name=REGION)
        unsigned = boto3.client(
            "dynamodb", region_name=REGION, config=Config(signature_version=botocore.UNSIGNED)
        )
        signed.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        views = {"signed": observe(signed)}
        signed.delete_item(TableName="t", Key={"pk": {"S": "a"}})
        views["unsigned"] = observe(unsigned)
        # chaos-arena's key, "testing", is not an access key id to moto (it wants 20 capitals
        # or digits), so signed calls are recorded as AKIAEXAMPLE too; a well-formed key is not.
        well_formed = boto3.client(
            "dynamodb",
            region_name=REGION,
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="testing",
        )
        signed.delete_item(TableName="t", Key={"pk": {"S": "a"}})
        identity = observe(well_formed)["moto identity"]
        auth = {"signed": with_iam_auth(signed), "unsigned": with_iam_auth(unsigned)}
        s3 = {
            "signed": s3_get(None),
            "unsigned": s3_get(Config(signature_version=botocore.UNSIGNED)),
        }
    print("\n3. what moto sees, signed and unsigned")
    for key in views["signed"]:
        a, b = views["signed"][key], views["unsigned"].get(key)
        print(
            f"   {key:<16} {'same' if a == b else 'DIFFERENT'}: {a}" + ("" if a == b else f" / {b}")
        )
    print(f"   signed with a well-formed key AKIAIOSFODNN7EXAMPLE: moto identity {identity}")
    print(f"   with moto's IAM auth on: signed {auth['signed']}; unsigned {auth['unsigned']}")
    print(f"   S3 GetObject of a private object: signed {s3['signed']}; unsigned {s3['unsigned']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000, help="PutItem calls per block")
    parser.add_argument("--repeat", type=int, default=5, help="blocks and runs; the best counts")
    args = parser.parse_args()
    os.chdir(ROOT)
    print(f"(load average {os.getloadavg()[0]:.2f})")
    loop(args.calls, args.repeat)
    in_run(args.repeat)
    moto_view()


if __name__ == "__main__":
    main()
