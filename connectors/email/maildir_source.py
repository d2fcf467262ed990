"""Replies delivered by the hub's own mail server into a local Maildir.

A reply is "unprocessed" until :meth:`MaildirReplies.acknowledge` marks it seen (Maildir flag
``S``) or moves it into the processed folder — which happens only after the core stored it. A
reply held for review (its key marked, :mod:`connectors.email.mail`) is moved to the review
folder flagged (``F``) and left unread instead; without a review folder it is flagged seen in place.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from pathlib import Path

from connectors.email.mail import StoredMail, sort_for_review
from connectors.email.settings import MaildirSource
from hub.core.errors import ConnectorError

SEEN = "S"
FLAGGED = "F"


class MaildirReplies:
    def __init__(self, source: MaildirSource, batch_size: int = 200) -> None:
        self._source = source
        self._batch_size = batch_size

    def fetch(self) -> list[StoredMail]:
        try:
            box = self._open()
            mails = []
            for key in sorted(box.iterkeys()):
                if SEEN in box.get_message(key).get_flags():
                    continue
                mails.append(StoredMail(key=key, raw=box.get_bytes(key)))
                if len(mails) >= self._batch_size:
                    break
            return mails
        except OSError as exc:
            raise ConnectorError(f"cannot read the Maildir {self._source.path}: {exc}") from exc

    def acknowledge(self, keys: Iterable[str]) -> None:
        processed, review = sort_for_review(keys)
        try:
            box = self._open()
            folder = self._folder(box, self._source.processed_folder)
            self._move(box, processed, folder, SEEN)
            folder = self._folder(box, self._source.review_folder)
            self._move(box, review, folder, FLAGGED if folder is not None else FLAGGED + SEEN)
        except OSError as exc:
            raise ConnectorError(f"cannot update the Maildir {self._source.path}: {exc}") from exc

    def _move(
        self, box: mailbox.Maildir, keys: list[str], folder: mailbox.Maildir | None, flags: str
    ) -> None:
        for key in keys:
            if key not in box:
                continue  # already moved by an earlier acknowledge
            message = box.get_message(key)
            message.set_subdir("cur")
            message.add_flag(flags)
            if folder is None:
                box[key] = message
            else:
                folder.add(message)  # copied first, then removed: never lost in between
                box.remove(key)

    def check(self) -> str:
        box = self._open()
        return f"Maildir {self._source.path}: {len(box)} message(s)"

    def close(self) -> None:
        """Nothing stays open between polls."""

    def _open(self) -> mailbox.Maildir:
        path = Path(self._source.path)
        path.parent.mkdir(parents=True, exist_ok=True)  # Maildir(create=True) makes only the leaf
        return mailbox.Maildir(path, factory=None, create=True)

    def _folder(self, box: mailbox.Maildir, name: str | None) -> mailbox.Maildir | None:
        if not name:
            return None
        if name in box.list_folders():
            return box.get_folder(name)
        return box.add_folder(name)
