"""Reading a help center from its site: the pages a sitemap lists, or the links under a start page, fetched politely.

`fetch_site(url, options)` takes an `https://…/sitemap.xml` (a sitemap index is followed one level down, `.xml.gz`
is unpacked) or a start page. From a start page it reads the site's sitemap (robots.txt's `Sitemap:` lines, else
`/sitemap.xml`) restricted to the start page's path, and without one follows the links of the pages under that path.

Politeness and bounds: only the start's origin (scheme, host, port) is read, and `http://` only on loopback; robots.txt
is obeyed for the `faq-answers` agent (an unreachable one, 5xx, stops the fetch: RFC 9309 says assume everything is
disallowed; a missing one, 4xx, allows everything); at most `max_pages` pages and `concurrency` requests at once; every
request says who it is (USER_AGENT); redirects are followed only within the origin (5 hops at most); a page must answer
within `timeout` seconds in all, be HTML, and stay under `max_page_bytes`. A page that breaks a rule is a failure of its
own (`PageFailure`: the address, the status when there is one, the reason); the others are read all the same.

With a `cache_dir`, a later run sends `If-None-Match` / `If-Modified-Since` for the pages it has and reuses their saved
body on a 304; the cache keeps only the pages of the last run.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

from bs4 import BeautifulSoup

from faq.errors import CorpusError
from faq.files import write_atomically

if TYPE_CHECKING:  # imported where a site is fetched: httpx (and its CLI's pygments) is 0.4 s of `faq serve`'s imports
    import httpx

USER_AGENT = "faq-answers/1 (FAQ question answering for this help center; reads its pages to answer customers' questions)"
ROBOTS_AGENT = "faq-answers"  # the name robots.txt rules address (`User-agent: faq-answers`)
MAX_REDIRECTS = 5
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit for one (uncompressed) sitemap file
MAX_SITEMAPS = 50  # child sitemaps of a sitemap index read at most
HTML_TYPES = ("text/html", "application/xhtml+xml")
_REDIRECTS = (301, 302, 303, 307, 308)
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass(frozen=True)
class SiteOptions:
    max_pages: int = 500
    concurrency: int = 4
    timeout: float = 15.0  # seconds a page may take in all: connecting, waiting and reading
    max_page_bytes: int = 5 * 1024 * 1024
    cache_dir: Path | None = None  # where ETags, Last-Modified dates and bodies are kept between runs


@dataclass(frozen=True)
class Page:
    url: str  # the address the page was asked for (a listed one, or a link)
    final_url: str  # where it was read, after same-origin redirects
    text: str
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False  # a 304: the body is the cached one


@dataclass(frozen=True)
class PageFailure:
    url: str
    reason: str
    status: int | None = None

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass(frozen=True)
class SiteFetch:
    """What a fetch read: the pages, each failure, the addresses robots.txt kept out, and the ones past max_pages."""

    start: str
    source: str  # "sitemap <url>" or "links under <url>"
    pages: tuple[Page, ...]
    failures: tuple[PageFailure, ...] = ()
    disallowed: tuple[str, ...] = ()
    left_out: int = 0  # listed or linked pages not read: over max_pages
    requests: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def not_modified(self) -> int:
        return sum(p.not_modified for p in self.pages)


def is_site(corpus: object) -> bool:
    """A corpus given as an http(s) address rather than a file or folder."""
    return isinstance(corpus, str) and corpus.lower().startswith(("http://", "https://"))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


def check_start(url: str) -> None:
    """An https address, or http on loopback (a local test site); anything else is refused before any request."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CorpusError(url, None, "a site is read from an https:// address (its sitemap.xml or a start page)")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise CorpusError(url, None, "use https://: plain http is read only from this machine (loopback), for tests")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _clean(url: str) -> str:
    return urldefrag(url)[0]


class _Cache:
    """Validators and bodies of the pages the last run read: `pages.json` (address → etag, last-modified, body file)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.known: dict[str, dict[str, str]] = {}
        if folder is not None and (folder / "pages.json").is_file():
            try:
                loaded = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
                self.known = {k: v for k, v in loaded.items() if isinstance(v, dict)} if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self.known = {}  # a damaged cache costs full requests, nothing else

    def conditional(self, url: str) -> tuple[dict[str, str], str | None]:
        """The conditional headers for a page whose body is cached, and that body."""
        known = self.known.get(url)
        if self.folder is None or not known:
            return {}, None
        body = self.folder / known.get("body", "")
        if not known.get("body") or not body.is_file():
            return {}, None
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return (headers, body.read_text(encoding="utf-8")) if headers else ({}, None)

    def save(self, pages: Iterable[Page]) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        known: dict[str, dict[str, str]] = {}
        for page in pages:
            if not (page.etag or page.last_modified):
                continue
            name = hashlib.sha256(page.final_url.encode()).hexdigest()[:24] + ".html"
            if not page.not_modified or not (self.folder / name).is_file():
                write_atomically(self.folder / name, page.text)
            known[page.final_url] = {"etag": page.etag, "last_modified": page.last_modified, "body": name}
        write_atomically(self.folder / "pages.json", json.dumps(known, indent=1, sort_keys=True))
        kept = {v["body"] for v in known.values()} | {"pages.json"}
        for old in self.folder.glob("*.html"):
            if old.name not in kept:
                old.unlink(missing_ok=True)


class _Robots:
    def __init__(self, parser: RobotFileParser | None, sitemaps: list[str]) -> None:
        self.parser, self.sitemaps = parser, sitemaps

    def allowed(self, url: str) -> bool:
        return self.parser is None or self.parser.can_fetch(ROBOTS_AGENT, url)


class _Fetcher:
    def __init__(self, client: httpx.Client, origin: str, options: SiteOptions, cache: _Cache) -> None:
        self.client, self.origin, self.options, self.cache = client, origin, options, cache
        self.requests = 0
        self._count = threading.Lock()
        self.robots = _Robots(None, [])

    def read_robots(self) -> None:
        import httpx

        url = self.origin_url("/robots.txt")
        try:
            self.requests += 1
            response = self.client.get(url, timeout=self.options.timeout)
        except httpx.HTTPError as e:
            raise CorpusError(url, None, f"robots.txt cannot be read ({_describe(e, self.options.timeout)}); "
                                         "nothing is fetched without it") from e
        if response.status_code >= 500:
            raise CorpusError(url, None, f"robots.txt answered HTTP {response.status_code}: the site may be down, "
                                         "and nothing is fetched without its robots.txt (RFC 9309)")
        if response.status_code != 200:  # 4xx (none): everything may be read
            return
        parser = RobotFileParser(url)
        parser.parse(response.text[: self.options.max_page_bytes].splitlines())
        self.robots = _Robots(parser, [u for u in parser.site_maps() or [] if origin_of(u) == self.origin])

    def origin_url(self, path: str) -> str:
        scheme, rest = self.origin.split("://", 1)
        host, port = rest.rsplit(":", 1)
        default = (scheme == "https" and port == "443") or (scheme == "http" and port == "80")
        return f"{scheme}://{host}{'' if default else ':' + port}{path}"

    def get(self, url: str, *, html: bool = True, limit: int | None = None) -> tuple[Page | PageFailure, bytes]:
        """One address, its same-origin redirects followed: the page (and its raw bytes), or why not."""
        import httpx

        cap = limit or self.options.max_page_bytes
        deadline = time.monotonic() + self.options.timeout
        asked, current = url, url
        for _ in range(MAX_REDIRECTS + 1):
            headers, cached = self.cache.conditional(current) if html else ({}, None)
            try:
                with self._count:
                    self.requests += 1
                with self.client.stream("GET", current, headers=headers, timeout=self.options.timeout) as response:
                    status = response.status_code
                    if status in _REDIRECTS:
                        target = _clean(urljoin(current, response.headers.get("location", "")))
                        if origin_of(target) != self.origin:
                            return PageFailure(asked, f"redirected to {target}, another site: not followed", status), b""
                        if not self.robots.allowed(target):
                            return PageFailure(asked, f"redirected to {target}, which robots.txt disallows", status), b""
                        current = target
                        continue
                    if status == 304 and cached is not None:
                        return Page(asked, current, cached, response.headers.get("etag", "") or self._known(current, "etag"),
                                    response.headers.get("last-modified", "") or self._known(current, "last_modified"),
                                    not_modified=True), b""
                    if status != 200:
                        return PageFailure(asked, f"HTTP {status} {response.reason_phrase}".rstrip(), status), b""
                    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    if html and kind not in HTML_TYPES:
                        return PageFailure(asked, f"not HTML ({kind or 'no content type'})", status), b""
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > cap:
                        return PageFailure(asked, f"too large ({int(declared):,} bytes, over the limit of {cap:,})", status), b""
                    body = bytearray()
                    for piece in response.iter_bytes():
                        body += piece
                        if len(body) > cap:
                            return PageFailure(asked, f"too large (over the limit of {cap:,} bytes)", status), b""
                        if time.monotonic() > deadline:
                            return PageFailure(asked, f"timed out (over {self.options.timeout:g} s)", status), b""
                    raw = bytes(body)
                    if not html:
                        return Page(asked, current, ""), raw
                    try:
                        text = raw.decode(response.charset_encoding or "utf-8")
                    except (UnicodeDecodeError, LookupError):
                        return PageFailure(asked, f"not text in its declared encoding ({response.charset_encoding or 'utf-8'})",
                                           status), b""
                    return Page(asked, current, text.removeprefix("\ufeff"), response.headers.get("etag", ""),
                                response.headers.get("last-modified", "")), raw
            except httpx.HTTPError as e:
                return PageFailure(asked, _describe(e, self.options.timeout)), b""
        return PageFailure(asked, f"more than {MAX_REDIRECTS} redirects"), b""

    def _known(self, url: str, key: str) -> str:
        return self.cache.known.get(url, {}).get(key, "")

    def sitemap_urls(self, url: str, depth: int = 0) -> list[str]:
        """The page addresses a sitemap lists, in its order (a sitemap index: its sitemaps', one level down)."""
        got, raw = self.get(url, html=False, limit=MAX_SITEMAP_BYTES)
        if isinstance(got, PageFailure):
            raise CorpusError(url, None, f"the sitemap cannot be read: {got.reason}")
        if raw[:2] == b"\x1f\x8b":
            try:
                with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unpacked:
                    raw = unpacked.read(MAX_SITEMAP_BYTES + 1)
            except (OSError, EOFError) as e:
                raise CorpusError(url, None, f"the sitemap is not valid gzip ({e})") from e
            if len(raw) > MAX_SITEMAP_BYTES:
                raise CorpusError(url, None, f"the sitemap unpacks to over {MAX_SITEMAP_BYTES:,} bytes")
        if b"<!DOCTYPE" in raw[:4096].upper() or b"<!ENTITY" in raw.upper():  # a sitemap has no DTD: no entity expansion
            raise CorpusError(url, None, "the sitemap declares a DTD or entities, which a sitemap never needs: not read")
        try:
            root = ElementTree.fromstring(raw)
        except ElementTree.ParseError as e:
            raise CorpusError(url, None, f"the sitemap is not valid XML ({e})") from e
        locs = [(el.text or "").strip() for el in root.iter(f"{_SITEMAP_NS}loc")]
        if root.tag == f"{_SITEMAP_NS}sitemapindex":
            if depth:
                raise CorpusError(url, None, "a sitemap index inside a sitemap index: list the sitemaps in one index")
            out: list[str] = []
            for child in [u for u in locs if origin_of(u) == self.origin][:MAX_SITEMAPS]:
                out.extend(self.sitemap_urls(child, depth + 1))
            return out
        if root.tag != f"{_SITEMAP_NS}urlset":
            raise CorpusError(url, None, f"not a sitemap: its root is <{root.tag}>, not <urlset> or <sitemapindex> "
                                         "of the sitemaps.org 0.9 namespace")
        return [u for u in locs if u]


def _describe(error: httpx.HTTPError, timeout: float) -> str:
    import httpx

    if isinstance(error, httpx.TimeoutException):
        return f"timed out (over {timeout:g} s)"
    return f"cannot be fetched ({type(error).__name__}: {str(error)[:200] or 'no detail'})"


def _scope(start: str) -> str:
    """The path prefix a start page's crawl stays under: its folder (`/help/en/` for `/help/en/` or `/help/en`)."""
    path = urlsplit(start).path or "/"
    if path.endswith("/"):
        return path
    last = path.rsplit("/", 1)[1]
    return path.rsplit("/", 1)[0] + "/" if "." in last else path + "/"


def _under(url: str, origin: str, scope: str, start: str) -> bool:
    return origin_of(url) == origin and (urlsplit(url).path.startswith(scope) or url == start)


def _links(page: Page) -> list[str]:
    soup = BeautifulSoup(page.text, "html.parser")
    return [_clean(urljoin(page.final_url, str(a["href"]).strip())) for a in soup.find_all("a", href=True)]


@functools.cache
def _tls() -> ssl.SSLContext:
    """What httpx verifies https pages with when given no context (trust_env=False: certifi's CA bundle, never
    SSL_CERT_FILE), made once a process: reading the bundle is ~20 ms of CPU per client, and a scheduled sync makes a
    client each interval. One context serves any number of clients and threads."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def fetch_site(start: str, options: SiteOptions | None = None) -> SiteFetch:
    """Fetch a help center's pages (see the module's doc); raises CorpusError only when nothing can be listed."""
    options = options or SiteOptions()
    check_start(start)
    start = _clean(start)
    origin = origin_of(start)
    cache = _Cache(options.cache_dir)
    import httpx

    limits = httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency)
    with httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=False, limits=limits, trust_env=False,
                      verify=_tls()) as client, \
            ThreadPoolExecutor(options.concurrency, thread_name_prefix="fetch") as pool:
        fetcher = _Fetcher(client, origin, options, cache)
        fetcher.read_robots()
        pages: list[Page] = []
        failures: list[PageFailure] = []
        disallowed: list[str] = []
        seen: set[str] = set()

        def admit(urls: Iterable[str]) -> list[str]:
            out = []
            for url in urls:
                if url in seen:
                    continue
                seen.add(url)
                if fetcher.robots.allowed(url):
                    out.append(url)
                else:
                    disallowed.append(url)
            return out

        def read(batch: list[str]) -> list[Page]:
            done = []
            for got, _ in pool.map(fetcher.get, batch):
                if isinstance(got, PageFailure):
                    failures.append(got)
                elif got.final_url in {p.final_url for p in pages}:
                    continue  # a redirect to a page read already
                else:
                    pages.append(got)
                    done.append(got)
            return done

        listed = _listed(fetcher, start)
        if listed is not None and not _is_sitemap(start):  # a start page: the sitemap's pages under its path, if any
            listed = (listed[0], [u for u in listed[1] if _under(_clean(u), origin, _scope(start), start)]) if listed[1] else None
            listed = listed if listed and listed[1] else None
        if listed is not None:
            source, urls = listed
            todo = admit(_clean(u) for u in urls if origin_of(u) == origin)
            read(todo[: options.max_pages])
            left_out = max(0, len(todo) - options.max_pages)
        else:
            source, scope = f"links under {start}", _scope(start)
            queue, read_count = admit([start]), 0
            while queue and read_count < options.max_pages:
                batch, queue = queue[: options.max_pages - read_count], queue[options.max_pages - read_count:]
                read_count += len(batch)
                for page in read(batch):
                    queue.extend(admit(u for u in _links(page) if _under(u, origin, scope, start)))
            left_out = len(queue)
        cache.save(pages)
    return SiteFetch(start, source, tuple(pages), tuple(failures), tuple(disallowed), left_out, fetcher.requests)


def _is_sitemap(url: str) -> bool:
    return urlsplit(url).path.lower().endswith((".xml", ".xml.gz"))


def _listed(fetcher: _Fetcher, start: str) -> tuple[str, list[str]] | None:
    """The sitemap's addresses: the one given, else one robots.txt names or /sitemap.xml; None when there is none."""
    if _is_sitemap(start):
        return f"sitemap {start}", fetcher.sitemap_urls(start)
    for candidate in fetcher.robots.sitemaps or [fetcher.origin_url("/sitemap.xml")]:
        try:
            return f"sitemap {candidate}", fetcher.sitemap_urls(candidate)
        except CorpusError:
            continue
    return None
