"""`faq ingest URL`: a help center read from its site (ingest.fetch, ingest.site), against a real HTTP server on loopback.

The site is made from the bundled watch FAQ in French and English (eval/datasets/watch-faq-multi): one article page per
entry and language, each listing its translation as an hreflang alternate, plus a sitemap, a robots.txt disallowing
/help/private/, a same-origin redirect, an off-origin one, a 404, a slow page, a PDF and an oversized page. French pages
carry a Last-Modified date, English ones an ETag; both answer 304 to a conditional request that matches.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from faq.errors import CorpusError
from ingest.corpus import load_corpus
from ingest.fetch import ROBOTS_AGENT, USER_AGENT, SiteOptions, check_start, fetch_site
from ingest.site import file_name, load_site

ROOT = Path(__file__).resolve().parent.parent
MULTI = ROOT / "eval/datasets/watch-faq-multi"
LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"
# a page's time limit: /help/slow answers after 1.5 s, so every read of the site waits this long for it to fail. The
# other pages answer from loopback in milliseconds
TIMEOUT = 0.3
SPECIAL = ["/help/private/internal-notes", "/help/old-contact", "/help/partner", "/help/missing", "/help/slow",
           "/help/manual.pdf", "/help/huge"]


def article(lang: str, row: dict) -> str:
    other = "en" if lang == "fr" else "fr"
    slug = row["id"].replace(".", "-")
    body = "".join(f"<p>{html.escape(p)}</p>" for p in row["answer"].split("\n"))
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(row["question"])}</title>'
            f'<link rel="alternate" hreflang="{lang}" href="/help/{lang}/articles/{slug}">'
            f'<link rel="alternate" hreflang="{other}" href="/help/{other}/articles/{slug}"></head><body>'
            f'<nav><a href="/help/{lang}/">Home</a> <a href="/help/{other}/articles/{slug}">{other}</a></nav>'
            f'<main><p class="crumbs">{html.escape(row["section"])}</p><h1>{html.escape(row["question"])}</h1>{body}</main>'
            "</body></html>")


def build_site(folder: Path) -> dict[str, bytes]:
    """Path → page: 24 articles, two home pages linking to them, a contact page."""
    pages: dict[str, bytes] = {}
    for lang in ("fr", "en"):
        rows = [json.loads(line) for line in (MULTI / f"enigme-ba793-faq.{lang}.jsonl").read_text(encoding="utf-8").splitlines()]
        links = []
        for row in rows:
            path = f"/help/{lang}/articles/{row['id'].replace('.', '-')}"
            pages[path] = article(lang, row).encode()
            links.append(f'<li><a href="{path}">{html.escape(row["question"])}</a></li>')
        pages[f"/help/{lang}/"] = (f'<html lang="{lang}"><head><title>BTOMIC help</title></head><body><main><h1>BTOMIC help</h1>'
                                   f'<p>Every question about your watch.</p><ul>{"".join(links)}</ul>'
                                   '<p><a href="/help/partner">Partner</a> <a href="/help/missing">Old</a> '
                                   '<a href="/help/private/internal-notes">Notes</a> <a href="https://elsewhere.example/">x</a>'
                                   '</p></main></body></html>').encode()
    pages["/help/en/contact"] = (b'<html lang="en"><head><title>Contact</title></head><body><main><h1>How do I contact you?</h1>'
                                 b"<p>Write to support@btomic.example, we answer within a day.</p></main></body></html>")
    pages["/help/private/internal-notes"] = b"<html><body><main><h1>Internal</h1><p>Secret notes.</p></main></body></html>"
    for path, body in pages.items():  # the same pages saved in a folder, for the comparison
        if path.startswith(("/help/fr/articles", "/help/en/articles")) or path == "/help/en/contact":
            (folder / file_name(path, set())).write_bytes(body)
    return pages


class Site:
    def __init__(self, folder: Path, sitemap: bool = True) -> None:
        self.pages = build_site(folder)
        self.sitemap = sitemap
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.changed: set[str] = set()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def send(self, status: int, body: bytes = b"", kind: str = "text/html; charset=utf-8", **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                path = self.path
                origin = site.origin
                if path == "/robots.txt":
                    lines = "User-agent: *\nDisallow: /help/private/\n" + (f"Sitemap: {origin}/sitemap.xml\n" if site.sitemap else "")
                    return self.send(200, lines.encode(), "text/plain")
                if path == "/sitemap.xml" and site.sitemap:
                    listed = [p for p in site.pages if "/articles/" in p] + SPECIAL
                    urls = "".join(f"<url><loc>{origin}{p}</loc></url>" for p in listed)
                    return self.send(200, f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                          f"{urls}</urlset>".encode(), "application/xml")
                if path == "/help/old-contact":
                    return self.send(301, Location="/help/en/contact")
                if path == "/help/partner":
                    return self.send(302, Location=site.origin.replace("127.0.0.1", "localhost") + "/help/en/contact")
                if path == "/help/slow":
                    time.sleep(1.5)
                    return self.send(200, b"<html><body><h1>Slow</h1><p>Late.</p></body></html>")
                if path == "/help/manual.pdf":
                    return self.send(200, b"%PDF-1.4 ...", "application/pdf")
                if path == "/help/huge":  # no Content-Length: the cap applies while reading
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(b"<html><body><h1>Huge</h1><p>" + b"x" * 300_000 + b"</p></body></html>")
                    self.close_connection = True
                    return None
                body = site.pages.get(path)
                if body is None:
                    return self.send(404, b"<h1>Not found</h1>")
                if "/en/" in path:
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    if self.headers.get("If-None-Match") == etag:
                        return self.send(304, ETag=etag)
                    return self.send(200, body, ETag=etag)
                modified = "Wed, 02 Dec 2026 10:00:00 GMT" if path in site.changed else LAST_MODIFIED
                if self.headers.get("If-Modified-Since") == modified:
                    return self.send(304, Last_Modified=modified)
                return self.send(200, body, Last_Modified=modified)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        # polls for shutdown every 10 ms, not every 0.5 s: close() no longer waits ~0.4 s for the loop to see it
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site(tmp_path):
    (tmp_path / "saved").mkdir()
    served = Site(tmp_path / "saved")
    yield served
    served.close()


def options(tmp_path: Path, **kw) -> SiteOptions:
    return SiteOptions(**{"timeout": TIMEOUT, "max_page_bytes": 100_000, "cache_dir": tmp_path / "cache", "concurrency": 4, **kw})


def articles(lang: str) -> list[str]:
    return [f"/help/{lang}/articles/{n}" for n in ("1-1", "1-2", "1-3", "2-1", "2-2", "2-3", "3-1", "3-2", "3-3", "4-1", "4-2", "4-3")]


def test_a_sitemap_is_read_page_by_page_with_each_failure_said_and_robots_obeyed(site, tmp_path):
    start = time.monotonic()
    read = load_site(f"{site.origin}/sitemap.xml", options(tmp_path))
    fetched = read.fetch
    got = {p.url.removeprefix(site.origin) for p in fetched.pages}
    assert got == set(articles("fr") + articles("en")) | {"/help/old-contact"}
    assert {p.final_url.removeprefix(site.origin) for p in fetched.pages if p.url.endswith("old-contact")} == {"/help/en/contact"}
    assert [d.removeprefix(site.origin) for d in fetched.disallowed] == ["/help/private/internal-notes"]
    failures = {f.url.removeprefix(site.origin): (f.status, f.reason) for f in read.failures}
    assert failures == {
        "/help/partner": (302, f"redirected to http://localhost:{site.origin.rsplit(':', 1)[1]}/help/en/contact, another site: not followed"),
        "/help/missing": (404, "HTTP 404 Not Found"),
        "/help/slow": (None, f"timed out (over {TIMEOUT:g} s)"),
        "/help/manual.pdf": (200, "not HTML (application/pdf)"),
        "/help/huge": (200, "too large (over the limit of 100,000 bytes)"),
    }
    assert time.monotonic() - start < 5
    # nothing robots.txt disallows, nothing off the site, and every request names the service
    paths = [p for p, _ in site.requests]
    assert "/help/private/internal-notes" not in paths and paths[0] == "/robots.txt"
    assert {h["user-agent"] for _, h in site.requests} == {USER_AGENT} and ROBOTS_AGENT in USER_AGENT
    # the pages became entries: 25 documents, the translations grouped by their hreflang alternates
    corpus = read.corpus
    assert len(corpus.documents) == 25 and len(corpus.entries) == 25
    by_id = {e.id: e for e in corpus.entries}
    fr, en = by_id["help-fr-articles-3-1:1"], by_id["help-en-articles-3-1:1"]
    assert fr.lang == "fr" and en.lang == "en" and fr.group == en.group == "hreflang:/help/en/articles/3-1#1"
    assert fr.question == "Que couvre précisément la politique de garantie ?" and fr.url == f"{site.origin}/help/fr/articles/3-1"
    assert by_id["help-en-contact:1"].question == "How do I contact you?"


def test_a_site_ingests_exactly_like_the_same_pages_saved_in_a_folder(site, tmp_path):
    read = load_site(f"{site.origin}/sitemap.xml", options(tmp_path)).corpus
    saved = load_corpus(tmp_path / "saved")
    assert [(d.id, d.title, d.lang) for d in read.documents] == [(d.id, d.title, d.lang) for d in saved.documents]
    strip = lambda e: (e.id, e.section, e.question, e.answer, e.lang, e.group)  # noqa: E731
    assert [strip(e) for e in read.entries] == [strip(e) for e in saved.entries]
    assert {e.url for e in saved.entries} == {""}  # the folder has no addresses; the site's entries link to their pages


def test_a_second_run_asks_conditionally_and_reuses_the_pages_that_answer_304(site, tmp_path):
    first = load_site(f"{site.origin}/sitemap.xml", options(tmp_path))
    site.requests.clear()
    site.changed.add("/help/fr/articles/2-1")
    second = load_site(f"{site.origin}/sitemap.xml", options(tmp_path))
    sent = dict(site.requests)
    assert sent["/help/en/articles/1-1"]["if-none-match"].startswith('"')
    assert sent["/help/fr/articles/1-1"]["if-modified-since"] == LAST_MODIFIED
    assert "if-modified-since" not in sent["/help/missing"] and "if-none-match" not in sent["/help/missing"]
    assert second.fetch.not_modified == 24  # 23 articles and the contact page behind its redirect; the changed one is read
    assert {p.url for p in second.fetch.pages if not p.not_modified} == {f"{site.origin}/help/fr/articles/2-1"}
    assert second.corpus.entries == first.corpus.entries and second.corpus.checksum == first.corpus.checksum


def test_a_start_page_reads_the_sitemaps_pages_under_its_path(site, tmp_path):
    read = fetch_site(f"{site.origin}/help/en/", options(tmp_path))
    assert read.source == f"sitemap {site.origin}/sitemap.xml"
    assert sorted(p.url.removeprefix(site.origin) for p in read.pages) == sorted(articles("en"))


def test_without_a_sitemap_a_start_page_follows_its_links_under_its_path_only(tmp_path):
    (tmp_path / "saved").mkdir()
    served = Site(tmp_path / "saved", sitemap=False)
    try:
        read = fetch_site(f"{served.origin}/help/en/", options(tmp_path))
        assert read.source == f"links under {served.origin}/help/en/"
        assert sorted(p.url.removeprefix(served.origin) for p in read.pages) == sorted(["/help/en/", *articles("en")])
        assert read.failures == () and read.disallowed == ()
        assert not any(p.startswith("/help/fr/") or p == "/help/partner" for p, _ in served.requests)
        bounded = fetch_site(f"{served.origin}/help/en/", options(tmp_path, max_pages=5, cache_dir=None))
        assert len(bounded.pages) == 5 and bounded.left_out == 8
    finally:
        served.close()


def test_max_pages_bounds_a_sitemap_too_and_what_is_left_is_counted(site, tmp_path):
    read = fetch_site(f"{site.origin}/sitemap.xml", options(tmp_path, max_pages=10))
    assert len(read.pages) == 10 and read.left_out == 24 + len(SPECIAL) - 1 - 10  # the robots-disallowed one is not counted


def test_addresses_are_checked_before_any_request():
    for bad in ("ftp://x.example/sitemap.xml", "http://help.example.com/sitemap.xml", "https:///nohost"):
        with pytest.raises(CorpusError):
            check_start(bad)
    check_start("https://help.example.com/sitemap.xml")
    check_start("http://127.0.0.1:8080/")


def test_a_site_whose_pages_all_fail_is_one_clear_error(site, tmp_path):
    site.pages.clear()
    with pytest.raises(CorpusError, match="no page of the site could be read .*HTTP 404"):
        load_site(f"{site.origin}/sitemap.xml", options(tmp_path))


def test_faq_ingest_url_indexes_the_site_and_lists_each_failed_page(site, tmp_path, monkeypatch, fake_everywhere):
    from typer.testing import CliRunner

    from cli.main import app
    from faq.settings import get_settings

    for name, value in {"FAQ_DATA_DIR": tmp_path / "data", "FAQ_SITE_TIMEOUT": TIMEOUT, "FAQ_SITE_MAX_PAGE_BYTES": 100_000,
                        "FAQ_CORPUS": f"{site.origin}/sitemap.xml", "FAQ_INDEX_DIR": tmp_path / "index"}.items():
        monkeypatch.setenv(name, str(value))
    get_settings.cache_clear()
    try:
        assert get_settings().corpus == f"{site.origin}/sitemap.xml"  # an address stays one (a Path would fold its //)
        first = CliRunner().invoke(app, ["ingest"])
        second = CliRunner().invoke(app, ["ingest", f"{site.origin}/sitemap.xml"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    out = " ".join(first.output.split())
    assert f"read 25 page(s) from sitemap {site.origin}/sitemap.xml (0 unchanged since the last run" in out
    assert "1 page(s) left out: robots.txt disallows them" in out and "5 page(s) failed (the others are indexed)" in out
    assert f"{site.origin}/help/missing: HTTP 404 Not Found" in out and "indexed 25 entries" in out
    assert second.exit_code == 0 and "(25 unchanged since the last run" in " ".join(second.output.split())
    assert (tmp_path / "data" / "site-cache" / "pages.json").is_file()


def test_faq_ingest_url_json_counts_the_pages_read_unchanged_and_failed(site, tmp_path, monkeypatch, fake_everywhere):
    import json

    from typer.testing import CliRunner

    from cli.main import app
    from faq.settings import get_settings

    for name, value in {"FAQ_DATA_DIR": tmp_path / "data", "FAQ_SITE_TIMEOUT": TIMEOUT, "FAQ_SITE_MAX_PAGE_BYTES": 100_000,
                        "FAQ_INDEX_DIR": tmp_path / "index"}.items():
        monkeypatch.setenv(name, str(value))
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["ingest", f"{site.origin}/sitemap.xml", "--json"])
        second = CliRunner().invoke(app, ["ingest", f"{site.origin}/sitemap.xml", "--json"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert (one["pages_fetched"], one["pages_unchanged"], len(one["pages_failed"])) == (25, 0, 5)
    assert {"url": f"{site.origin}/help/missing", "reason": "HTTP 404 Not Found", "status": 404} in one["pages_failed"]
    assert (two["pages_fetched"], two["pages_unchanged"], two["texts_embedded"], two["entries_changed"]) == (25, 25, 0, 0)


def test_hreflang_alternates_make_the_questions_of_two_faq_lists_translations(tmp_path):
    def faq_list(lang: str, questions: list[str]) -> str:
        items = "".join(f"<details><summary>{q}</summary><p>Answer {n} ({lang}).</p></details>" for n, q in enumerate(questions))
        return (f'<html lang="{lang}"><head><title>FAQ</title><link rel="canonical" href="https://help.example.com/{lang}/faq">'
                '<link rel="alternate" hreflang="fr" href="/fr/faq"><link rel="alternate" hreflang="en" href="/en/faq">'
                f"</head><body><main><h1>FAQ</h1>{items}</main></body></html>")

    (tmp_path / "faq-fr.html").write_text(faq_list("fr", ["Livraison ?", "Retours ?"]), encoding="utf-8")
    (tmp_path / "faq-en.html").write_text(faq_list("en", ["Shipping?", "Returns?"]), encoding="utf-8")
    (tmp_path / "other.html").write_text("<html><body><h1>Alone</h1><p>No alternates.</p></body></html>", encoding="utf-8")
    groups = {e.question: e.group for e in load_corpus(tmp_path).entries}
    assert groups == {"Livraison ?": "hreflang:https://help.example.com/en/faq#1", "Shipping?": "hreflang:https://help.example.com/en/faq#1",
                      "Retours ?": "hreflang:https://help.example.com/en/faq#2", "Returns?": "hreflang:https://help.example.com/en/faq#2",
                      "Alone": ""}
