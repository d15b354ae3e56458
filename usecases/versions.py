"""Building a new index version beside the served one, switching to it, and rolling back.

With FAQ_DATABASE_URL set, the database decides what every replica serves (replication.published): an
ingest publishes its version there before switching, a rollback serves the previous published one,
and a calibration of the served version republishes its manifest. The local folder is then a cache
that each service keeps in step by itself (replication.follower).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from faq.curation import NO_RULES
from faq.errors import CorpusError, DatabaseError, IndexError_, IndexNotFoundError
from faq.settings import Settings
from feedback.factory import existing_feedback_store
from index.disk.build import MANIFEST, RECORDS
from index.disk.manifest import IndexManifest
from index.disk.records import Records
from index.disk.reuse import VectorPool
from index.disk.versions import (
    VERSIONS,
    current_version,
    ingest_lock,
    previous_version,
    promote,
    prune,
    remove_leftovers,
    resolve,
    staging_path,
    switch,
    version_of,
)
from index.embedders import Embedder, load_embedders
from index.pipeline import build_index
from ingest.corpus import Corpus, load_corpus, with_phrasings
from ingest.fetch import SiteOptions, is_site
from ingest.models import Entry, entry_changed
from ingest.site import SiteCorpus, load_site
from ingest.workload import EmbeddingWork, estimate_embedding
from replication.follower import Follower, SyncStatus
from replication.published import published_versions
from usecases.calibrate import CalibrationResult, calibrate_index
from usecases.regression_check import (
    CheckOptions,
    CheckRefusedError,
    CheckReport,
    check_questions,
    check_rules,
    run_check,
    save_check,
    share_check,
)

Progress = Callable[[int, int], None]  # (texts embedded, texts in all)
Estimated = Callable[[EmbeddingWork], None]  # told the work before the models load (`faq ingest` warns when it is long)


@dataclass(frozen=True)
class BuildResult:
    version: str
    manifest: IndexManifest
    documents: int
    phrasings: int  # accepted phrasings from the feedback store added as known phrasings
    calibrated: CalibrationResult  # the calibration step: `calibrated.calibration` is what the manifest holds
    removed: tuple[str, ...]  # old versions pruned past FAQ_KEEP_VERSIONS
    notes: tuple[str, ...] = ()  # what the parsers left out on purpose (drafts of a help-center export)
    published: bool = False  # uploaded to the database and served by every replica (FAQ_DATABASE_URL)
    leftovers: tuple[str, ...] = ()  # what interrupted builds left, removed before this one
    site: SiteCorpus | None = None  # what was fetched, when the corpus is a site's address
    changes: Changes | None = None  # what the corpus changed since the served version, and what was embedded or reused
    check: CheckReport | None = None  # the regression check against the served version (None: no question to ask)


@dataclass(frozen=True)
class Changes:
    """An ingest against the version served before it: entries added, changed (in what they say: question, answer,
    section, title, url, lang, phrasings; not where they sit in their file) and removed, by id, and the texts embedded or
    reused (index.disk.reuse), over every model."""

    reused_from: str | None  # the version whose vectors were reused (None: a first build, or nothing reusable)
    added: int
    changed: int
    removed: int
    texts_embedded: int
    texts_reused: int


@dataclass(frozen=True)
class Rollback:
    version: str
    was: str | None


def site_options(settings: Settings) -> SiteOptions:
    return SiteOptions(max_pages=settings.site_max_pages, concurrency=settings.site_concurrency, timeout=settings.site_timeout,
                       max_page_bytes=settings.site_max_page_bytes, cache_dir=settings.site_cache())


def read_corpus(corpus: Path | str, settings: Settings) -> tuple[Corpus, SiteCorpus | None]:
    """A corpus file or folder, or a help center's site (its sitemap or a start page, fetched: ingest.fetch)."""
    if is_site(corpus):
        site = load_site(str(corpus), site_options(settings))
        return site.corpus, site
    return load_corpus(corpus), None


def build_version(corpus: Path | str, index_dir: Path, settings: Settings, progress: Progress | None = None,
                  estimated: Estimated | None = None, check: CheckOptions | None = None) -> BuildResult:
    """Parse, chunk, embed and calibrate a new index version beside the served one, check it, then switch to it.

    The served version stays untouched until the pointer switch, so a crash or a bad corpus file
    leaves searches running on the last good index. A corpus past FAQ_MAX_EMBED_CHARS is refused
    before any model loads. A site's pages are fetched first; a page that fails is reported, not fatal.
    `check`: the regression check's options (default: FAQ_CHECK_SET, FAQ_CHECK_TOLERANCE; usecases.regression_check)."""
    loaded, site = read_corpus(corpus, settings)
    with existing_feedback_store(settings) as store:
        accepted = store.accepted_phrasings() if store else {}
    loaded = with_phrasings(loaded, accepted) if accepted else loaded
    work = estimate_embedding(loaded, settings.max_chunk_chars)
    if work.characters > settings.max_embed_chars:
        raise CorpusError(corpus, None, f"the index would embed {work.describe()}, over FAQ_MAX_EMBED_CHARS="
                                        f"{settings.max_embed_chars:,}; raise FAQ_MAX_EMBED_CHARS to index it")
    if estimated is not None:
        estimated(work)
    result = build_loaded(loaded, index_dir, settings, load_embedders(settings.retrieval()), progress, check)
    return replace(result, phrasings=sum(len(v) for v in accepted.values()), site=site)


def build_loaded(loaded: Corpus, index_dir: Path, settings: Settings, models: Sequence[Embedder],
                 progress: Progress | None = None, check: CheckOptions | None = None) -> BuildResult:
    """`build_version`'s work once the corpus is read and the models loaded (what `python -m benchmarks.bench --parts sizes` times at each corpus size).

    The version is built and calibrated in a hidden staging folder and renamed into versions/ only then: killed at
    any step, an ingest leaves nothing a rollback, a pruning or a service could take for a version (index.disk.versions).
    Between calibrating and switching (and publishing, with FAQ_DATABASE_URL), the regression check asks the saved and
    most-asked questions of both versions (usecases.regression_check); a refused check raises CheckRefusedError, the
    staging folder removed and the served version untouched, its report saved beside the versions either way."""
    check = check or CheckOptions.from_settings(settings)
    with ingest_lock(index_dir):
        leftovers = remove_leftovers(index_dir)
        staging = staging_path(index_dir)
        served = _served(index_dir)
        questions = check_questions(check, loaded, _entries(served), settings)  # a malformed file fails before embedding
        rules = check_rules(settings) if questions else NO_RULES  # both versions answer under the team's rules in force
        pool = VectorPool.from_folders([served] if served is not None else [])
        report: CheckReport | None = None
        try:
            manifest = build_index(loaded, list(models), staging, max_chars=settings.max_chunk_chars, progress=progress,
                                   reuse=pool)
            calibration = calibrate_index(staging, settings.calibration_set, settings, {e.id for e in loaded.entries},
                                          models=models, earlier=served)
            name = version_of(staging)
            if questions:
                report = run_check(questions, served, staging, name, settings, models, check, rules)
                save_check(index_dir, report)
                share_check(settings, report)
                if not report.switched:
                    raise CheckRefusedError(report)
            if settings.database_url is not None:  # before the local switch: a version the database refused is served nowhere
                _publish(settings, staging, name)
            promote(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        served_before = current_version(index_dir)
        switch(index_dir, name)
        removed = prune(index_dir, settings.keep_versions, served_before)
    return BuildResult(name, manifest, len(loaded.documents), 0, calibration, tuple(removed), loaded.notes,
                       published=settings.database_url is not None, leftovers=tuple(leftovers),
                       changes=_changes(served, loaded, pool), check=report)


def _served(index_dir: Path) -> Path | None:
    """The folder of the version served now, whose vectors a new build reuses; None when there is none."""
    try:
        return resolve(index_dir)[0]
    except IndexNotFoundError:
        return None


def _entries(served: Path | None) -> tuple[Entry, ...]:
    """The served version's entries; none when there is no version, or it cannot be read."""
    if served is None:
        return ()
    try:
        return Records.load(served / RECORDS).entries
    except IndexError_:
        return ()


def _changes(served: Path | None, loaded: Corpus, pool: VectorPool) -> Changes:
    """What the new corpus added, changed and removed against the served version: by what each entry says and where it
    links, not where it sits in its file (an edit above an entry moves its offsets, not its content)."""
    before: dict[str, Entry] = {}
    titles_before: dict[str, str] = {}
    if served is not None:
        try:
            records = Records.load(served / RECORDS)
            titles_before = {d.id: d.title for d in records.documents}
            before = {e.id: e for e in records.entries}
        except IndexError_:
            before = {}
    titles_after = {d.id: d.title for d in loaded.documents}
    after = {e.id: e for e in loaded.entries}
    changed = sum(i in before and entry_changed(before[i], e, titles=(titles_before.get(before[i].document_id, ""),
                                                                         titles_after.get(e.document_id, "")))
                  for i, e in after.items())
    return Changes(reused_from=served.name if served is not None and pool.sources else None,
                   added=sum(i not in before for i in after), removed=sum(i not in after for i in before), changed=changed,
                   texts_embedded=pool.embedded, texts_reused=pool.reused)


def _publish(settings: Settings, folder: Path, version: str) -> None:
    try:
        with published_versions(_url(settings)) as registry:
            registry.publish(folder, version)
            registry.serve(version)
            registry.prune(settings.keep_versions)
    except DatabaseError as e:
        raise DatabaseError(f"Version {version} was built at {folder} but not published, so nothing was switched: {e}") from e


def rollback(root: Path, settings: Settings | None = None) -> Rollback:
    """Serve the previous index version again (a running service follows the pointer, or the database, by itself).

    With FAQ_DATABASE_URL in `settings`: the previous version published in the database, for every replica."""
    if settings is not None and settings.database_url is not None:
        return _rollback_published(root, settings)
    previous = previous_version(root)
    if previous is None:
        raise IndexNotFoundError(f"No earlier index version under {root} to roll back to (versions: "
                                 f"{current_version(root) or 'none'}). Build one with: faq ingest --index {root}")
    was = current_version(root)
    switch(root, previous)
    return Rollback(previous, was)


def _rollback_published(root: Path, settings: Settings) -> Rollback:
    with published_versions(_url(settings)) as registry:
        served = registry.served()
        previous = registry.previous()
        if previous is None:
            raise IndexNotFoundError(f"No earlier index version in the database to roll back to (published: "
                                     f"{', '.join(registry.versions()) or 'none'}). Build one with: faq ingest")
        registry.serve(previous)
    if (root / VERSIONS / previous / MANIFEST).exists():  # this host follows at once; the others at their next poll
        switch(root, previous)
    return Rollback(previous, served[0] if served else None)


def fetch_published(settings: Settings) -> SyncStatus | None:
    """Bring FAQ_INDEX_DIR to the database's served version (fetched when missing) before a service starts
    or a calibration runs; None without FAQ_DATABASE_URL. Raises DatabaseError or ReplicationError."""
    if settings.database_url is None:
        return None
    with published_versions(_url(settings)) as registry:
        return Follower(registry, settings.index_dir, settings.keep_versions).step()


def publish_calibration(index_dir: Path, settings: Settings) -> str | None:
    """After the served version was recalibrated here: republish its manifest, so every replica reloads it.

    Returns the version republished; None without FAQ_DATABASE_URL, for a single index folder, or for a
    local version the database does not hold (it serves another, which this host will follow)."""
    version = current_version(index_dir)
    if settings.database_url is None or version is None or (index_dir / MANIFEST).exists():
        return None
    with published_versions(_url(settings)) as registry:
        if version not in registry.versions():
            return None
        registry.republish_manifest(index_dir / VERSIONS / version, version)
    return version


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()
