"""What ingest produces: documents, their question/answer entries, and the chunks that get embedded."""

from __future__ import annotations

from dataclasses import dataclass, field


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
