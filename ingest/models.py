"""What ingest produces: documents, their question/answer entries, and the chunks that get embedded."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Document:
    """One FAQ file: its id and title are what citations show."""

    id: str
    title: str
    lang: str
    source: str


@dataclass(frozen=True)
class Entry:
    """One question and its answer, as written in the source.

    `start`/`end` are character offsets of the whole entry in the decoded source file,
    `answer_start` where the answer begins, and `line` the 1-based line of the question.
    """

    id: str
    local_id: str
    document_id: str
    section: str
    question: str
    answer: str
    lang: str
    start: int
    end: int
    answer_start: int
    line: int
    alt_questions: tuple[str, ...] = field(default=())
    url: str = ""  # the article's public address, when the source has one (citations link to it)
    group: str = ""  # entries sharing a non-empty group are translations of each other


# where an entry sits in its file (its ids are made from it), not what it says
PLACE = frozenset({"id", "local_id", "document_id", "start", "end", "answer_start", "line"})


def entry_changed(before: Entry, after: Entry, *, titles: tuple[str, str] = ("", ""), moved: bool = False,
                  phrasings_added: bool = False) -> bool:
    """Whether `after` says something `before` does not: one definition for `faq ingest`'s change counts (usecases.versions)
    and the served version's drift from FAQ_CORPUS (usecases.fit_to_serve), which differ only by the two flags.

    `titles`: the titles of their documents (a renamed document changes what its entries cite). `moved`: an entry moved
    in its file (PLACE: offsets, line) counts as changed, as the index stores where its citations point. `phrasings_added`:
    `before` may hold phrasings `after` lacks (a built version holds the ones accepted since), only missing ones count."""
    skipped = {"alt_questions"} | (set() if moved else PLACE)
    if titles[0] != titles[1] or any(getattr(before, f.name) != getattr(after, f.name) for f in fields(Entry) if f.name not in skipped):
        return True
    if phrasings_added:
        return not set(after.alt_questions) <= set(before.alt_questions)
    return before.alt_questions != after.alt_questions


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded and returned: an answer, or a piece of a long one."""

    id: str
    entry_id: str
    document_id: str
    document_title: str
    section: str
    question: str
    text: str
    lang: str
    start: int
    end: int
    part: int
    parts: int
    url: str = ""  # the entry's url: what the citation links to
    headings: tuple[str, ...] = ()  # headings inside the article above this chunk (long articles are split by them)


@dataclass(frozen=True)
class Heading:
    """A heading inside an answer (from HTML `h2`-`h6` or a Markdown `####`): long answers are split at them.

    `start` is the offset of the heading's text in the answer, `level` its rank (2 for `h2`), `line`
    its line in the source file when known (0 otherwise).
    """

    start: int
    level: int
    text: str
    line: int = 0
