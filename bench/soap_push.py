"""Pushes per second through ``SoapConnector.push`` vs raw zeep calls to the same operation.

    .venv/bin/python bench/soap_push.py [--pushes 300] [--rounds 3]

Starts the power company's SOAP sandbox on loopback, then alternates rounds of the hub's path
(mapping already applied, as the core hands it over: ``SoapConnector.push``) and of plain zeep
(``client.service.RegisterCase(...)`` with zeep's default transport), each opening new cases.
Prints both rates and their ratio (target ≥ 0.6). Writes nothing.

With ``--delivery`` it also measures the hub's whole delivery path for SOAP referrals on a scratch
PostgreSQL database — claim (compare-and-set, attempt recorded), mapping, push, settle (state,
event) — one referral after another, against raw zeep in the same run.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
import zeep

from connectors.soap.connector import SoapConnector
from hub.plugins.connector import ConnectorContext, OutgoingReferral
from hub.sandbox.server import BackgroundServer
from hub.sandbox.soap import SoapSandbox

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {
    "Subject": "قطعی برق",
    "Description": "برق محله از ساعت ۱۸ قطع است؛ لطفاً پیگیری کنید.",
    "Category": "power.outage",
    "Subscriber": {"FullName": "مریم کریمی", "Mobile": "09111234567", "NationalCode": "2110000011"},
    "Location": {"County": "گرگان", "City": "گرگان", "Text": "خیابان ولیعصر، کوچه ۱۲"},
}


def rate(pushes: int, push: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for number in range(pushes):
        push(number)
    return pushes / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=300, help="pushes per round and path")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delivery", action="store_true", help="also the whole delivery path")
    args = parser.parse_args()
    if args.delivery:
        delivery_path(args.pushes)

    agreement = yaml.safe_load((ROOT / "config/agreements/golestan-power.yaml").read_text())
    sandbox = SoapSandbox()
    with BackgroundServer(sandbox.app()) as server, tempfile.TemporaryDirectory() as cache:
        settings = copy.deepcopy(agreement["connector"]["settings"])
        settings["wsdl"] = f"{server.url}/?wsdl"
        del settings["auth"]  # the sandbox runs without WS-Security here, for both paths
        context = ConnectorContext(
            agreement["id"], agreement["mapping"], agreement["status_map"],
            ROOT / "config", Path(cache),
        )  # fmt: skip
        connector = SoapConnector(settings, context)
        raw = zeep.Client(settings["wsdl"])

        def hub_push(number: int, round_no: int) -> object:
            referral = OutgoingReferral(
                referral_id=number,
                reference=f"R-{round_no}-{number}",
                tracking_code=str(number),
                idempotency_key=f"hub-{round_no}-{number}",
                agreement_id=agreement["id"],
                fields=FIELDS,
                request={},
            )
            return connector.push(referral)

        def raw_push(number: int, round_no: int) -> object:
            return raw.service.RegisterCase(
                RequestKey=f"raw-{round_no}-{number}",
                ReferenceNo=f"Z-{round_no}-{number}",
                **FIELDS,
            ).CaseNumber

        hub_push(0, -1)  # warm both paths: WSDL parsed, connections open
        raw_push(0, -1)
        hub_rates, raw_rates = [], []
        for round_no in range(args.rounds):
            hub_rates.append(rate(args.pushes, lambda n, r=round_no: hub_push(n, r)))
            raw_rates.append(rate(args.pushes, lambda n, r=round_no: raw_push(n, r)))

    hub_rate, raw_rate = statistics.median(hub_rates), statistics.median(raw_rates)
    print(f"SoapConnector.push : {hub_rate:8.1f} pushes/s  (rounds: {_fmt(hub_rates)})")
    print(f"raw zeep call      : {raw_rate:8.1f} pushes/s  (rounds: {_fmt(raw_rates)})")
    print(f"ratio hub/raw      : {hub_rate / raw_rate:8.2f}  (target ≥ 0.6)")
    print(f"cases opened: {sandbox.stats()['cases']}, duplicates: {sandbox.stats()['duplicates']}")


def delivery_path(count: int) -> None:
    """deliver(referral) for SOAP referrals, on PostgreSQL, vs raw zeep, in the same run."""
    import os
    import random
    import sys

    sys.path.insert(0, str(ROOT))
    from bench.common import scratch_database
    from bench.delivery import _request

    sandbox = SoapSandbox(step_seconds=3600, users={"samad-111": "bench-password"})
    with (
        BackgroundServer(sandbox.app()) as server,
        scratch_database("samad_bench_soap") as db_url,
        tempfile.TemporaryDirectory() as data,
    ):
        agreements = Path(data) / "agreements"
        agreements.mkdir()
        text = (ROOT / "config/agreements/golestan-power.yaml").read_text(encoding="utf-8")
        (agreements / "golestan-power.yaml").write_text(
            text.replace("http://127.0.0.1:8732", server.url), encoding="utf-8"
        )
        os.environ.update(
            SAMAD_DATABASE_URL=db_url,
            SAMAD_DATA_DIR=data,
            SAMAD_AGREEMENTS_DIR=str(agreements),
            SAMAD_POWER_WSSE_PASSWORD="bench-password",
        )
        from hub.agreements.registry import get_registry
        from hub.core.settings import get_settings
        from hub.db.session import session_scope
        from hub.delivery.batch import DeliveryOutcome, deliver
        from hub.intake.submit import register

        get_settings.cache_clear()
        registry, settings = get_registry(), get_settings()
        base, ids = random.randrange(10**8), []
        for n in range(count + 20):
            raw_request = {**_request(base + n), "category": "power.outage"}
            with session_scope() as session:
                ids.append(register(session, raw_request, registry, settings).referrals[0].id)
        for referral_id in ids[:20]:  # warm up: WSDL parsed, connections open
            deliver(referral_id, registry, settings)
        started = time.perf_counter()
        outcomes = [deliver(referral_id, registry, settings) for referral_id in ids[20:]]
        hub_rate = count / (time.perf_counter() - started)
        assert all(o is DeliveryOutcome.DELIVERED for o in outcomes), set(outcomes)
        from zeep.wsse.username import UsernameToken

        wsse = UsernameToken("samad-111", "bench-password")
        raw = zeep.Client(f"{server.url}/?wsdl", wsse=wsse)
        raw_rate = rate(count, lambda n: raw.service.RegisterCase(
            RequestKey=f"raw-{n}", ReferenceNo=f"Z-{n}", **FIELDS))  # fmt: skip
    print(f"hub delivery path  : {hub_rate:8.1f} referrals/s (PostgreSQL, one at a time)")
    print(f"raw zeep call      : {raw_rate:8.1f} pushes/s (same WS-Security UsernameToken)")
    print(f"ratio delivery/raw : {hub_rate / raw_rate:8.2f}")


def _fmt(rates: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in rates)


if __name__ == "__main__":
    main()
