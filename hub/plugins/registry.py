"""One registry for what plugins add: classes by a unique name (a connector's ``kind``, a
notifier's ``channel``), filled by a registration hook, read by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from hub.core.errors import PluginError

T = TypeVar("T", bound=type)


class Registry(Generic[T]):
    """Classes by name; a name may be registered once, by one plugin.

    ``what`` says what the classes are in messages ("connector type", "notifier channel");
    ``name_of`` reads a class's name (its ``kind``, its ``channel``); ``check`` raises
    :class:`PluginError` for a class that does not keep the contract.
    """

    def __init__(
        self, what: str, attribute: str, check: Callable[[T, str], None] | None = None
    ) -> None:
        self.what = what
        self.attribute = attribute
        self._check = check
        self._types: dict[str, T] = {}

    def add(self, cls: T) -> None:
        name = getattr(cls, self.attribute, None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"{cls.__qualname__} has no {self.attribute!r} name")
        if self._check is not None:
            self._check(cls, name)
        if name in self._types:
            other = self._types[name]
            raise PluginError(
                f"{self.what} {name!r} is registered twice: by {where(other)} and by "
                f"{where(cls)}; uninstall one of the two plugins"
            )
        self._types[name] = cls

    def get(self, name: str) -> T:
        try:
            return self._types[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise PluginError(f"no {self.what} {name!r} is installed (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types


def where(cls: type) -> str:
    """``package.module.Class``: where a registered class came from."""
    return f"{cls.__module__}.{cls.__qualname__}"
