"""What verify found, each problem with its chain position, so the earliest one is reported first."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problems:
    """Problems found so far, each with its position in the chain; the earliest wins."""

    found: list[tuple[int, int, str | None, str]] = field(default_factory=list)

    def add(self, position: int, incident_id: str | None, message: str) -> None:
        self.found.append((position, len(self.found), incident_id, message))

    def first(self) -> tuple[str | None, str] | None:
        if not self.found:
            return None
        _, _, incident_id, message = min(self.found, key=lambda p: (p[0], p[1]))
        return incident_id, message
