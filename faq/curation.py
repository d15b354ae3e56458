"""The team's rules over the answers (issue #33): synonyms, pinned answers, hidden entries.

Plain frozen values on the shared ground: the feedback store (feedback.curation) stores and loads them, the index
(index.ranking.curation) applies them at query time, and neither imports the other. A `Rules` is one consistent
snapshot: the service swaps in a new one when the store's `version` moves, and passes it to every question it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NO_RULES", "Hidden", "Pin", "PinKind", "RuleKind", "Rules", "Synonym"]

RuleKind = Literal["synonym", "pin", "hidden"]
PinKind = Literal["answer", "never"]  # "never": questions like these are not answered (outcome none)


@dataclass(frozen=True)
class Synonym:
    """Equivalent terms of one language ("Pfand", "Kaution"); with `targets`, one way: a question saying any of
    `terms` is also searched for the `targets` ("BA-793" -> "montre"), never the other way round."""

    id: int
    lang: str
    terms: tuple[str, ...]
    targets: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"synonym:{self.id}"


@dataclass(frozen=True)
class Pin:
    """Questions like `examples` get `entry_id` first and as the answer; a `never` pin (no entry) makes them `none`."""

    id: int
    kind: PinKind
    examples: tuple[str, ...]
    entry_id: str | None = None

    @property
    def key(self) -> str:
        return f"pin:{self.id}"


@dataclass(frozen=True)
class Hidden:
    """An entry (`entry_id`) or a whole section (`section`) taken out of every result list."""

    id: int
    entry_id: str | None = None
    section: str | None = None

    @property
    def key(self) -> str:
        return f"hidden:{self.id}"


@dataclass(frozen=True)
class Rules:
    """Every rule in force; `version` moves on each change (the store's last audit row), so a replica polls one number."""

    version: int = 0
    synonyms: tuple[Synonym, ...] = ()
    pins: tuple[Pin, ...] = ()
    hidden: tuple[Hidden, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.synonyms or self.pins or self.hidden)

    def hides(self, entry_id: str, section: str) -> bool:
        """Whether a hidden rule takes out the entry `entry_id` of section `section` (what the listings leave out)."""
        return any(h.entry_id == entry_id or (h.section is not None and h.section == section) for h in self.hidden)


NO_RULES = Rules()
