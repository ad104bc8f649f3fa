"""The rule registry: every detection registers once; a duplicate id is an error at import."""

from __future__ import annotations

import re
from collections.abc import Iterator

from chalicelib.errors import RegistryError
from chalicelib.rules.base import Rule

RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REQUIRED = ("id", "severity", "title", "runbook", "reference")


class Registry:
    def __init__(self) -> None:
        self._rules: dict[str, type[Rule]] = {}

    def register(self, cls: type[Rule]) -> type[Rule]:
        """Class decorator; rejects duplicate ids and rules missing metadata."""
        missing = [a for a in REQUIRED if not getattr(cls, a, None)]
        if missing:
            raise RegistryError(f"rule {cls.__name__} lacks {', '.join(missing)}", cls.__module__)
        if not RULE_ID.match(cls.id):
            raise RegistryError(f"rule id {cls.id!r} is not kebab-case", cls.__module__)
        if cls.id in self._rules:
            other = self._rules[cls.id]
            raise RegistryError(f"duplicate rule id {cls.id!r} (already {other.__module__}.{other.__name__})",
                                cls.__module__)
        self._rules[cls.id] = cls
        return cls

    def __iter__(self) -> Iterator[type[Rule]]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: str) -> type[Rule]:
        return self._rules[rule_id]

    def ids(self) -> list[str]:
        return list(self._rules)

    def instances(self) -> list[Rule]:
        return [cls() for cls in self._rules.values()]


REGISTRY = Registry()
register = REGISTRY.register
