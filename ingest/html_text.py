"""HTML (Zendesk and Intercom article bodies, help-center pages) to the clean text that is embedded and shown.

Paragraphs are separated by blank lines, list items are lines (`- item`, `1. item`), table rows read
`Header: value; Header: value` (or `a | b | c` without a header row), `<br>` breaks a line, links keep
their text (the URL is metadata, not words a customer types) and images are dropped (their alt text is
mostly "screenshot"). Headings become their own paragraph and are returned with their offsets, so a long
article can be split at them. Parsing goes through BeautifulSoup's stdlib parser, never regexes on markup.

Markup nested deeper than `faq.limits.MAX_HTML_DEPTH` is refused (`MarkupError`, which the readers turn into a
CorpusError naming the file and record): rendering recurses per level. Nested lists indent up to a few levels
only, and a table's header is repeated in its rows only while that stays in proportion to the table's own text,
so the text grows with the markup, not with its square.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from faq.limits import MAX_HTML_DEPTH
from faq.text import normalize
from ingest.models import Heading

DROPPED = frozenset({"script", "style", "nav", "aside", "form", "noscript", "template", "svg", "iframe",
                     "button", "img", "picture", "video", "audio", "head", "select", "input"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset({"p", "div", "section", "article", "main", "header", "footer", "blockquote", "figure",
                     "figcaption", "address", "dl", "dt", "dd", "details", "summary", "hr", "body", "html"})
_MAX_INDENT = 6  # nested list levels that indent further; deeper items line up with the sixth level
_MAX_HEADER_REPEAT = 20  # a header repeated in every row may add up to this many times the table's own text
_START = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() accepts "²" and "٣", and refuses 5,000 digits


@dataclass(frozen=True)
class HtmlText:
    """The clean text of some HTML and the headings inside it (offsets into `text`)."""

    text: str
    headings: tuple[Heading, ...]


class MarkupError(ValueError):
    """HTML this module will not render; `line` is where in the markup (1-based, 0 when unknown)."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(reason)


def parse_html(html: str) -> BeautifulSoup:
    """The parsed markup; raises MarkupError when it nests deeper than MAX_HTML_DEPTH."""
    soup = BeautifulSoup(html, "html.parser")
    check_depth(soup)
    return soup


def check_depth(root: Tag) -> None:
    """Walks the tree without recursion (the point is that recursion would overflow) and stops at the first element too deep."""
    stack = [(child, 1) for child in root.children if isinstance(child, Tag)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_HTML_DEPTH:
            raise MarkupError(node.sourceline or 0, f"HTML elements nested {depth} deep, over the limit {MAX_HTML_DEPTH} "
                                                    f"(<{node.name}> inside {depth - 1} others); usually end tags left out "
                                                    "(</li>, </p>, </div>): close them, or flatten the markup")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tag))


def html_to_text(html: str | Tag) -> HtmlText:
    """Render markup (a string or an already parsed element) as paragraphs, lines and headings."""
    node = parse_html(html) if isinstance(html, str) else html
    renderer = _Renderer()
    renderer.walk(node)
    renderer.flush()
    parts: list[str] = []
    headings: list[Heading] = []
    offset = 0
    for text, level, line in renderer.blocks:
        if parts:
            offset += 2
        if level:
            headings.append(Heading(offset, level, text, line))
        parts.append(text)
        offset += len(text)
    return HtmlText("\n\n".join(parts), tuple(headings))


def inline_text(node: Tag) -> str:
    """The words of an element on one line (a heading, a summary, a table cell)."""
    return normalize(" ".join(node.get_text(" ").split()))


class _Renderer:
    """Walks the tree, gathering inline words into the current paragraph and closing it at each block."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, int, int]] = []  # (text, heading level or 0, source line)
        self._inline: list[str] = []

    def flush(self) -> None:
        lines = (normalize(" ".join(line.split())) for line in "".join(self._inline).split("\n"))
        text = "\n".join(line for line in lines if line)
        self._inline = []
        if text:
            self.blocks.append((text, 0, 0))

    def add(self, text: str, level: int = 0, line: int = 0) -> None:
        self.flush()
        if text.strip():
            self.blocks.append((text, level, line))

    def walk(self, node: Tag) -> None:
        self.walk_children(node.children)

    def walk_children(self, children: Iterable[object]) -> None:
        for child in children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA, processing instructions
                continue
            if isinstance(child, NavigableString):
                self._inline.append(_collapse(str(child)))
                continue
            if not isinstance(child, Tag) or child.name in DROPPED:
                continue
            self.element(child)

    def element(self, tag: Tag) -> None:
        name = tag.name
        if name == "br":
            self._inline.append("\n")
        elif name in HEADINGS:
            self.add(inline_text(tag), HEADINGS[name], tag.sourceline or 0)
        elif name in ("ul", "ol"):
            self.add("\n".join(_list_lines(tag)))
        elif name == "table":
            self.add("\n".join(_table_rows(tag)))
        elif name == "pre":
            self.add(tag.get_text().strip("\n"))
        elif name in _BLOCKS or name == "li":
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)


def _collapse(text: str) -> str:
    """Source newlines and runs of spaces inside a paragraph are one space (only `<br>` breaks a line)."""
    words = " ".join(text.split())
    if not words:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + words + (" " if text[-1].isspace() else "")


def _list_lines(tag: Tag, depth: int = 0) -> list[str]:
    """`- item` / `1. item` lines; a nested list's items are indented under their parent (up to _MAX_INDENT levels)."""
    ordered = tag.name == "ol"
    start = str(tag.get("start", "")).strip()
    number = int(start) if ordered and _START.fullmatch(start) else 1  # anything else is ignored, as browsers do
    indent = "  " * min(depth, _MAX_INDENT)
    lines: list[str] = []
    for item in tag.find_all("li", recursive=False):
        nested = [child for child in item.children if isinstance(child, Tag) and child.name in ("ul", "ol")]
        own = _item_text(item, nested).replace("\n\n", "\n").split("\n")
        marker = f"{number}." if ordered else "-"
        lines.append(f"{indent}{marker} {own[0]}".rstrip())
        lines.extend(f"{indent}  {line}" for line in own[1:])
        for child in nested:
            lines.extend(_list_lines(child, depth + 1))
        number += 1
    return lines


def _item_text(item: Tag, nested: list[Tag]) -> str:
    """An item's own text, its nested lists left out (rendered apart, not copied: a copy per level is quadratic)."""
    renderer = _Renderer()
    renderer.walk_children(child for child in item.children if not any(child is n for n in nested))
    renderer.flush()
    return "\n\n".join(text for text, _, _ in renderer.blocks)


def _table_rows(table: Tag) -> list[str]:
    """One line a row: `Header: value; ...` under a header row of `th` cells, else `a | b | c`."""
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    cells = [[inline_text(cell) for cell in row.find_all(["th", "td"], recursive=False)] for row in rows]
    if not cells:
        return []
    first = rows[0]
    has_header = bool(first.find_parent("thead")) or all(c.name == "th" for c in first.find_all(["th", "td"], recursive=False))
    header, body = cells[0], cells[1:]
    if has_header and body and not _header_runs_away(header, cells):
        return ["; ".join(f"{h}: {v}" if h else v for h, v in zip(header, row) if v) if len(row) == len(header)
                else " | ".join(row) for row in body if any(row)]
    return [" | ".join(row) for row in cells if any(row)]


def _header_runs_away(header: list[str], cells: list[list[str]]) -> bool:
    """Whether repeating the header in every row would write it over _MAX_HEADER_REPEAT times the table's own text
    (a long header over many tiny cells: its text would grow with rows times header); such a table reads `a | b | c`."""
    repeated = sum(map(len, header)) * (len(cells) - 1)
    return repeated > _MAX_HEADER_REPEAT * sum(len(cell) for row in cells for cell in row)
