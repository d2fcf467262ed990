"""The live set of agreements, reloaded when their files change, and a connector for each.

API processes and workers call ``get_registry()``; at most every ``agreements_reload_seconds`` it
looks at the files' names and modification times, and reloads when they changed. An invalid file
never replaces the last good version of its agreement: the problem is logged and the old version
kept, so a typo cannot stop deliveries.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any

from hub.agreements.loader import agreement_files, load_directory
from hub.agreements.model import Agreement
from hub.agreements.overlay import settings_for_test_system
from hub.agreements.secrets import resolve_env
from hub.core.errors import AgreementProblem, ConnectorError, NotFound
from hub.core.settings import Settings, get_settings
from hub.plugins.connector import Connector, ConnectorContext
from hub.plugins.manager import Plugins, plugins

log = logging.getLogger(__name__)


class AgreementRegistry:
    def __init__(self, directory: Path, plugins: Plugins, settings: Settings) -> None:
        self.directory = directory
        self.plugins = plugins
        self.settings = settings
        self._lock = threading.RLock()
        self._agreements: dict[str, Agreement] = {}
        self._problems: list[AgreementProblem] = []
        self._snapshot: tuple[tuple[str, float], ...] = ()
        self._checked_at = float("-inf")
        self._connectors: dict[tuple[str, str], Connector] = {}
        self.reload()

    def _files_snapshot(self) -> tuple[tuple[str, float], ...]:
        if not self.directory.is_dir():
            return ()
        return tuple((p.name, p.stat().st_mtime) for p in agreement_files(self.directory))

    def reload(self) -> None:
        with self._lock:
            # The files as they are before loading; recorded only once loaded (below), so that
            # no thread takes the new snapshot for agreements not loaded yet.
            snapshot = self._files_snapshot()
            loaded, problems = load_directory(self.directory, self.plugins.connectors)
            for problem in problems:
                log.error("agreement problem: %s", problem)
            kept = {
                p.file: self._agreements[Path(p.file).stem]
                for p in problems
                if Path(p.file).stem in self._agreements
            }
            self._agreements = {**{a.id: a for a in kept.values()}, **loaded}
            self._problems = problems
            self._snapshot = snapshot
            self._checked_at = time.monotonic()

    def refresh(self) -> None:
        """Reload if the files changed since the last look (cheap: names and mtimes).

        The look is taken under the lock: a thread that comes while another reloads waits for
        the new agreements instead of reading the old ones beside the new files' snapshot (a
        worker thread then took a just-onboarded agreement for missing).
        """
        if time.monotonic() - self._checked_at < self.settings.agreements_reload_seconds:
            return
        with self._lock:
            self._checked_at = time.monotonic()
            if self._files_snapshot() != self._snapshot:
                log.info("agreement files changed; reloading")
                self.reload()

    @property
    def problems(self) -> list[AgreementProblem]:
        return list(self._problems)

    def all(self) -> list[Agreement]:
        self.refresh()
        return sorted(self._agreements.values(), key=lambda a: a.id)

    def get(self, agreement_id: str) -> Agreement:
        self.refresh()
        try:
            return self._agreements[agreement_id]
        except KeyError:
            raise NotFound(f"no agreement {agreement_id!r}") from None

    def connector(self, agreement: Agreement) -> Connector:
        """The connector for this agreement version, made once per process and reused."""
        key = (agreement.id, agreement.version)
        with self._lock:
            if key not in self._connectors:
                self._close_older(agreement.id)
                self._connectors[key] = self._make_connector(agreement)
            return self._connectors[key]

    def test_system_connector(self, agreement: Agreement) -> Connector | None:
        """A connector to the agency's test system (``connector.test_settings``), or None when
        the agreement names none; made anew, never shared: the caller closes it."""
        settings = settings_for_test_system(agreement.document)
        return None if settings is None else self._make_connector(agreement, settings)

    def _make_connector(
        self, agreement: Agreement, written: dict[str, Any] | None = None
    ) -> Connector:
        connector_type = self.plugins.connectors.get(agreement.connector_type)
        try:
            settings = resolve_env(agreement.connector_settings if written is None else written)
        except KeyError as exc:
            raise ConnectorError(
                f"agreement {agreement.id}: {exc.args[0]}", permanent=False
            ) from exc
        context = ConnectorContext(
            agreement_id=agreement.id,
            mapping=agreement.mapping,
            status_map={k: str(v) for k, v in agreement.status_map.items()},
            config_dir=self.settings.config_dir,
            cache_dir=self.settings.cache_dir,
        )
        self.settings.cache_dir.mkdir(parents=True, exist_ok=True)
        return connector_type(settings, context)

    def _close_older(self, agreement_id: str) -> None:
        for key in [k for k in self._connectors if k[0] == agreement_id]:
            self._connectors.pop(key).close()

    def close(self) -> None:
        with self._lock:
            for connector in self._connectors.values():
                connector.close()
            self._connectors.clear()


@functools.cache
def get_registry() -> AgreementRegistry:
    settings = get_settings()
    return AgreementRegistry(settings.agreements_dir, plugins(), settings)
