"""Replies read from an IMAP mailbox, over implicit TLS or STARTTLS.

Mails are read with ``BODY.PEEK`` so reading marks nothing; a mail is processed once the
connector's ``acknowledge`` flags it ``\\Seen $SamadProcessed`` (and moves it, when the agreement
names a processed mailbox). A mail held for review (its key marked, :mod:`connectors.email.mail`)
is flagged ``\\Flagged $SamadNeedsReview $SamadProcessed`` instead, left unread, and moved to the
review mailbox ("Needs review" unless the agreement says otherwise).

The session is kept between polls; when the server went away (a restart, an idle timeout) the
next call reconnects once before reporting a transient error.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Callable, Iterable
from typing import TypeVar

from connectors.email.mail import StoredMail, sort_for_review
from connectors.email.settings import ImapSource
from connectors.email.tls import client_context, is_certificate_problem
from hub.core.errors import ConnectorError, ConnectorTimeout

PROCESSED_KEYWORD = "$SamadProcessed"
REVIEW_KEYWORD = "$SamadNeedsReview"
_UID = re.compile(rb"\bUID (\d+)")

T = TypeVar("T")


class ImapReplies:
    def __init__(self, source: ImapSource, batch_size: int = 200) -> None:
        self._source = source
        self._batch_size = batch_size
        self._session: imaplib.IMAP4 | None = None
        self._uidvalidity = ""
        self._can_move = False

    def fetch(self) -> list[StoredMail]:
        return self._retrying(self._fetch)

    def acknowledge(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            self._retrying(lambda session: self._acknowledge(session, keys))

    def check(self) -> str:
        count = self._retrying(lambda session: len(self._unprocessed_uids(session)))
        return f"IMAP {self._where}/{self._source.mailbox}: {count} unprocessed message(s)"

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            # The server may be gone already; then there is nothing left to release.
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                session.logout()

    @property
    def _where(self) -> str:
        return f"{self._source.server.host}:{self._source.server.port}"

    def _fetch(self, session: imaplib.IMAP4) -> list[StoredMail]:
        uids = self._unprocessed_uids(session)[: self._batch_size]
        if not uids:
            return []
        _, data = _ok(session.uid("FETCH", b",".join(uids).decode(), "(UID BODY.PEEK[])"))
        mails = []
        for item in data:
            if isinstance(item, tuple) and (found := _UID.search(item[0])):
                mails.append(StoredMail(key=f"{self._uidvalidity}:{int(found[1])}", raw=item[1]))
        return sorted(mails, key=lambda mail: int(mail.key.rpartition(":")[2]))

    def _unprocessed_uids(self, session: imaplib.IMAP4) -> list[bytes]:
        _, data = _ok(session.uid("SEARCH", "UNKEYWORD", PROCESSED_KEYWORD))
        return data[0].split() if data and data[0] else []

    def _acknowledge(self, session: imaplib.IMAP4, keys: list[str]) -> None:
        processed, review = sort_for_review(keys)
        flags = f"(\\Flagged {REVIEW_KEYWORD} {PROCESSED_KEYWORD})"
        self._flag_and_move(session, review, flags, self._source.review_mailbox)
        flags = f"(\\Seen {PROCESSED_KEYWORD})"
        self._flag_and_move(session, processed, flags, self._source.processed_mailbox)

    def _flag_and_move(
        self, session: imaplib.IMAP4, keys: list[str], flags: str, target: str | None
    ) -> None:
        # A UID is only meaningful under the UIDVALIDITY it was read with; stale ones are left
        # unflagged, so they come back once more and the core drops them by update_id.
        uids = [key.rpartition(":")[2] for key in keys if key.startswith(f"{self._uidvalidity}:")]
        if not uids:
            return
        uid_set = ",".join(uids)
        _ok(session.uid("STORE", uid_set, "+FLAGS", flags))
        if target and self._can_move:
            session.create(_quoted(target))  # "already exists" is fine: the answer is ignored
            _ok(session.uid("MOVE", uid_set, _quoted(target)))

    def _retrying(self, operation: Callable[[imaplib.IMAP4], T]) -> T:
        try:
            try:
                return operation(self._open())
            except (imaplib.IMAP4.abort, ConnectionError, EOFError):
                self.close()
                return operation(self._open())
        except TimeoutError as exc:
            self.close()
            raise ConnectorTimeout(f"IMAP {self._where} did not answer in time") from exc
        except ssl.SSLError as exc:
            self.close()
            raise ConnectorError(
                f"TLS with IMAP {self._where} failed: {exc}", permanent=is_certificate_problem(exc)
            ) from exc
        except imaplib.IMAP4.abort as exc:
            self.close()
            raise ConnectorError(f"IMAP {self._where} dropped the connection: {exc}") from exc
        except imaplib.IMAP4.error as exc:
            self.close()
            raise ConnectorError(f"IMAP {self._where} refused: {exc}") from exc
        except OSError as exc:
            self.close()
            raise ConnectorError(f"IMAP {self._where}: {exc}") from exc

    def _open(self) -> imaplib.IMAP4:
        if self._session is not None:
            return self._session
        server = self._source.server
        if server.security == "tls":
            session: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                server.host,
                server.port,
                ssl_context=client_context(server.ca_file),
                timeout=server.timeout,
            )
        else:
            session = imaplib.IMAP4(server.host, server.port, timeout=server.timeout)
        try:
            if server.security == "starttls":
                session.starttls(ssl_context=client_context(server.ca_file))
            session.login(server.username or "", server.password or "")
            # Servers announce more after login (MOVE, UIDPLUS); imaplib keeps the first list.
            _, capabilities = _ok(session.capability())
            self._can_move = b"MOVE" in capabilities[0].upper().split()
            _ok(session.select(_quoted(self._source.mailbox)))
            validity = session.response("UIDVALIDITY")[1]
            self._uidvalidity = validity[0].decode() if validity and validity[0] else "0"
        except BaseException:
            session.shutdown()
            raise
        self._session = session
        return session


def _ok(answer: tuple[str, list]) -> tuple[str, list]:
    status, data = answer
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise imaplib.IMAP4.error(f"{status} {detail}")
    return answer


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
