"""Whoever can write the events table, but holds no audit key, cannot change the log unseen:
`samad-hub audit verify` names every edit, deletion, insertion and unsealing — at the chain's
newest events as in its middle — and the sealing sweep does not seal what the hub did not write.

Each test runs on PostgreSQL and on SQLite, on a database of its own: the run's shared one has a
worker sealing it, and these tests need a chain nobody else is extending.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from hub.core.errors import Refused
from hub.db.models import Event
from hub.db.session import get_engine, session_scope
from hub.referrals.event_macs import canonical, content
from hub.referrals.events import EventKind, record
from hub.supervision.audit import GENESIS, linked, seal
from tests.support.cli import samad_hub
from tests.support.private_databases import private_database

EVENTS = 6
EVENTS_TABLE = Event.__table__
COPY = (
    "INSERT INTO events (kind, request_id, referral_id, from_state, to_state, actor, data,"
    " created_at, row_mac, seq, chain_hash) SELECT kind, request_id, referral_id, from_state,"
    " to_state, :actor, data, created_at, :row_mac, :seq, :chain_hash FROM events WHERE id = :id"
)


@dataclass
class Log:
    """A private event log: events the hub wrote and sealed, then tampered with in plain SQL."""

    url: str
    checkpoints: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``samad-hub`` on this log's database and checkpoint file."""
        env = {"SAMAD_DATABASE_URL": self.url, "SAMAD_AUDIT_CHECKPOINT_FILE": str(self.checkpoints)}
        return samad_hub(*args, env=env)

    def verify(self) -> subprocess.CompletedProcess[str]:
        return self.cli("audit", "verify")

    def write(self, count: int) -> None:
        with session_scope(self.url) as session:
            for number in range(count):
                record(session, EventKind.REQUEST_TRIAGE, actor="operator-7", n=number, say="آب")

    def seal(self) -> int:
        total = 0
        while sealed := seal(self.url, checkpoints=self.checkpoints):
            total += sealed
        return total

    def sql(self, statement: str, **params: Any) -> None:
        with get_engine(self.url).begin() as connection:
            connection.execute(text(statement), params)

    def sealed(self) -> list[tuple[int, int]]:
        """(seq, event id) of every sealed event, in seq order."""
        with get_engine(self.url).connect() as connection:
            query = "SELECT seq, id FROM events WHERE seq IS NOT NULL ORDER BY seq"
            return [(row[0], row[1]) for row in connection.execute(text(query))]

    def row(self, event_id: int) -> dict[str, Any]:
        """Event ``event_id``'s columns, read back as the hub reads them."""
        with get_engine(self.url).connect() as connection:
            query = select(EVENTS_TABLE).where(EVENTS_TABLE.c.id == event_id)
            return dict(connection.execute(query).mappings().one())

    def newest_id(self) -> int:
        with get_engine(self.url).connect() as connection:
            return int(connection.execute(text("SELECT max(id) FROM events")).scalar_one())

    def copy(self, event_id: int, *, actor: str, **sealing: Any) -> int:
        """A new row made from event ``event_id``'s content (an insert without the key)."""
        values = {"row_mac": None, "seq": None, "chain_hash": None, **sealing}
        self.sql(COPY, id=event_id, actor=actor, **values)
        return self.newest_id()


def plain_sha256(previous: str, values: dict[str, Any]) -> str:
    """The link recomputed as someone without the key would: SHA-256 of the same content."""
    return hashlib.sha256(previous.encode() + linked(values)).hexdigest()


@pytest.fixture(scope="module")
def postgres_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with private_database("postgresql", "audit", tmp_path_factory.mktemp("audit")) as url:
        yield url


@pytest.fixture(params=["postgresql", "sqlite"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Log]:
    """Six events written and sealed, on a database and a checkpoint file of the test's own."""
    checkpoints = tmp_path / "checkpoints.jsonl"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_log")
        with get_engine(url).begin() as connection:
            connection.execute(text("DELETE FROM events"))
        yield _sealed_log(url, checkpoints)
        return
    with private_database("sqlite", "audit", tmp_path) as url:
        yield _sealed_log(url, checkpoints)


def _sealed_log(url: str, checkpoints: Path) -> Log:
    log = Log(url, checkpoints)
    log.write(EVENTS)
    assert log.seal() == EVENTS
    return log


def assert_named(result: Any, *fragments: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "chain broken" in result.stdout
    for fragment in fragments:
        assert fragment in result.stdout, result.stdout


def test_a_chain_the_hub_wrote_verifies_against_its_checkpoint(log: Log) -> None:
    log.write(2)  # written, not sealed yet: that is no problem
    result = log.verify()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chain intact" in result.stdout and f"{EVENTS} events checked" in result.stdout
    assert "2 not sealed yet" in result.stdout
    assert "matches the checkpoint of" in result.stdout and f"(seq {EVENTS})" in result.stdout
    assert log.seal() == 2 and log.verify().returncode == 0


@pytest.mark.parametrize("where", ["middle", "newest"])
def test_an_edited_sealed_event_is_named(log: Log, where: str) -> None:
    seq, victim = log.sealed()[2 if where == "middle" else -1]
    log.sql("UPDATE events SET actor = 'intruder' WHERE id = :id", id=victim)
    assert_named(log.verify(), f"event id {victim} (seq {seq}) was changed or inserted")


def test_an_event_deleted_from_the_middle_is_named(log: Log) -> None:
    seq, victim = log.sealed()[2]
    log.sql("DELETE FROM events WHERE id = :id", id=victim)
    assert_named(log.verify(), f"event seq {seq} is missing (removed)")


def test_the_newest_events_deleted_are_named_against_the_checkpoint(log: Log) -> None:
    sealed = log.sealed()
    newest_seq, newest = sealed[-1]
    for _, victim in sealed[-2:]:
        log.sql("DELETE FROM events WHERE id = :id", id=victim)
    assert_named(
        log.verify(),
        f"the chain ends at seq {newest_seq - 2}",
        f"event id {newest} (seq {newest_seq})",
        f"(seq {newest_seq - 1} to {newest_seq}) were removed or unsealed",
    )
    # The sweep does not seal new events over the gap (which would anchor the shorter chain).
    log.write(1)
    with pytest.raises(Refused, match=f"ends at seq {newest_seq - 2}, before the event"):
        log.seal()
    refused = log.cli("audit", "seal")
    assert refused.returncode == 1 and "sealing refused" in refused.stderr
    assert log.sealed() == sealed[:-2]


@pytest.mark.parametrize("where", ["middle", "newest"])
def test_an_unsealed_event_is_named_and_an_edited_one_never_sealed_again(
    log: Log, where: str
) -> None:
    seq, victim = log.sealed()[2 if where == "middle" else -1]
    log.sql(
        "UPDATE events SET actor = 'intruder', seq = NULL, chain_hash = NULL WHERE id = :id",
        id=victim,
    )
    missing = (
        f"event seq {seq} is missing"
        if where == "middle"
        else f"the chain ends at seq {seq - 1}, but its last checkpoint"
    )
    unsealed = f"event id {victim} is not sealed and its row MAC does not verify"
    assert_named(log.verify(), missing, unsealed)
    if where == "middle":  # the chain still reaches its checkpoint: sealing goes on, without it
        log.write(1)
        assert log.seal() == 1
        assert victim not in [event_id for _, event_id in log.sealed()]
    else:
        with pytest.raises(Refused):
            log.seal()
    assert_named(log.verify(), missing, unsealed)


def test_the_newest_event_unsealed_unchanged_is_named_against_the_checkpoint(log: Log) -> None:
    seq, victim = log.sealed()[-1]
    log.sql("UPDATE events SET seq = NULL, chain_hash = NULL WHERE id = :id", id=victim)
    assert_named(log.verify(), f"the chain ends at seq {seq - 1}", f"event id {victim} (seq {seq})")


def test_an_event_inserted_into_the_middle_is_named(log: Log) -> None:
    seq, genuine = log.sealed()[2]
    # Make room at seq, as an intruder would: every later event one place further.
    log.sql("UPDATE events SET seq = -seq WHERE seq >= :seq", seq=seq)
    log.sql("UPDATE events SET seq = 1 - seq WHERE seq < 0")
    inserted = log.copy(genuine, actor="intruder", seq=seq, chain_hash=GENESIS)
    assert_named(log.verify(), f"event id {inserted} (seq {seq}) was changed or inserted")


def test_an_event_inserted_at_the_tail_with_a_plain_hash_is_named(log: Log) -> None:
    newest_seq, newest = log.sealed()[-1]
    previous = log.row(newest)["chain_hash"]
    inserted = log.copy(newest, actor="intruder")
    forged = {**log.row(inserted), "seq": newest_seq + 1}
    forged["row_mac"] = hashlib.sha256(canonical(content(forged))).hexdigest()
    chain_hash = plain_sha256(previous, forged)
    log.sql(
        "UPDATE events SET seq = :seq, row_mac = :mac, chain_hash = :hash WHERE id = :id",
        seq=newest_seq + 1,
        mac=forged["row_mac"],
        hash=chain_hash,
        id=inserted,
    )
    assert_named(
        log.verify(),
        f"event id {inserted} (seq {newest_seq + 1}) was changed or inserted",
        "plain SHA-256",
    )
    # Nor does the sweep chain the hub's next events onto it.
    log.write(1)
    with pytest.raises(Refused, match=f"seq {newest_seq + 1} of the audit chain does not follow"):
        log.seal()


def test_an_event_inserted_unsealed_is_named_and_never_sealed(log: Log) -> None:
    _, genuine = log.sealed()[0]
    forged = log.copy(genuine, actor="intruder", row_mac="0" * 64)
    replayed = log.copy(genuine, actor="operator-7", row_mac=log.row(genuine)["row_mac"])
    log.write(1)
    assert log.seal() == 1  # the hub's own new event only
    assert {forged, replayed}.isdisjoint(event_id for _, event_id in log.sealed())
    assert_named(
        log.verify(),
        f"event id {forged} is not sealed and its row MAC does not verify",
        f"event id {replayed} is not sealed and its row MAC does not verify",
    )


def test_a_chain_recomputed_with_a_plain_sha256_is_named(log: Log) -> None:
    sealed = log.sealed()
    seq, victim = sealed[2]
    log.sql("UPDATE events SET actor = 'intruder' WHERE id = :id", id=victim)
    previous = log.row(sealed[1][1])["chain_hash"]
    for _, event_id in sealed[2:]:
        values = log.row(event_id)
        values["row_mac"] = hashlib.sha256(canonical(content(values))).hexdigest()
        previous = plain_sha256(previous, values)
        log.sql(
            "UPDATE events SET row_mac = :mac, chain_hash = :hash WHERE id = :id",
            mac=values["row_mac"],
            hash=previous,
            id=event_id,
        )
    newest_seq, newest = sealed[-1]
    assert_named(
        log.verify(),
        f"event id {victim} (seq {seq}) was changed or inserted: its hash is a plain SHA-256",
        f"event id {newest} (seq {newest_seq}) is not the head checkpointed",
    )


def test_a_forged_or_missing_checkpoint_is_named(log: Log) -> None:
    lines = log.checkpoints.read_text().splitlines()
    forged = json.loads(lines[-1]) | {"seq": 2, "count": 2}
    log.checkpoints.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")
    assert_named(log.verify(), "does not verify with the audit key")
    with pytest.raises(Refused, match="does not verify with the audit key"):
        log.seal()
    log.checkpoints.unlink()
    assert_named(log.verify(), f"no checkpoint of the chain's head in {log.checkpoints}")


def test_verify_checks_the_head_against_the_checkpoints_the_log_kept(
    log: Log, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with caplog.at_level("INFO", logger="hub.audit"):
        log.write(2)
        log.seal()
    kept = tmp_path / "from-the-log.txt"
    kept.write_text("".join(f"{record.getMessage()}\n" for record in caplog.records))
    assert "audit checkpoint {" in kept.read_text()
    log.checkpoints.unlink()  # the machine's file is gone; the log collector's copy is not
    assert log.cli("audit", "verify", "--checkpoints", str(kept)).returncode == 0
    newest_seq, newest = log.sealed()[-1]
    log.sql("DELETE FROM events WHERE id = :id", id=newest)
    assert_named(
        log.cli("audit", "verify", "--checkpoints", str(kept)),
        f"event id {newest} (seq {newest_seq})",
    )
