"""Building a new index version beside the served one, switching to it, and rolling back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from faq.errors import IndexNotFoundError
from faq.settings import Settings
from feedback.store import FeedbackStore
from index.build import build_index
from index.embedders import Embedder, load_embedders
from index.manifest import IndexManifest
from index.versions import current_version, new_version_path, previous_version, prune, switch
from ingest.corpus import Corpus, load_corpus, with_phrasings
from usecases.calibrate import FEEDBACK_FILE, CalibrationResult, calibrate_index

Progress = Callable[[int, int], None]  # (texts embedded, texts in all)


@dataclass(frozen=True)
class BuildResult:
    version: str
    manifest: IndexManifest
    documents: int
    phrasings: int  # accepted phrasings from the feedback store added as known phrasings
    calibration: CalibrationResult
    removed: tuple[str, ...]  # old versions pruned past FAQ_KEEP_VERSIONS
    notes: tuple[str, ...] = ()  # what the parsers left out on purpose (drafts of a help-center export)


@dataclass(frozen=True)
class Rollback:
    version: str
    was: str | None


def build_version(corpus: Path, index_dir: Path, settings: Settings, progress: Progress | None = None) -> BuildResult:
    """Parse, chunk, embed and calibrate a new index version beside the served one, then switch to it.

    The served version stays untouched until the pointer switch, so a crash or a bad corpus file
    leaves searches running on the last good index."""
    loaded = load_corpus(corpus)
    store_path = settings.data_dir / FEEDBACK_FILE
    accepted = FeedbackStore(store_path).accepted_phrasings() if store_path.exists() else {}
    loaded = with_phrasings(loaded, accepted) if accepted else loaded
    result = build_loaded(loaded, index_dir, settings, load_embedders(settings.retrieval()), progress)
    return replace(result, phrasings=sum(len(v) for v in accepted.values()))


def build_loaded(loaded: Corpus, index_dir: Path, settings: Settings, models: Sequence[Embedder],
                 progress: Progress | None = None) -> BuildResult:
    """`build_version`'s work once the corpus is read and the models loaded (what `faq bench` times at each corpus size)."""
    target = new_version_path(index_dir)
    manifest = build_index(loaded, list(models), target, max_chars=settings.max_chunk_chars, progress=progress)
    calibration = calibrate_index(target, settings.calibration_set, settings, {e.id for e in loaded.entries}, models=models)
    switch(index_dir, target.name)
    removed = prune(index_dir, settings.keep_versions)
    return BuildResult(target.name, manifest, len(loaded.documents), 0, calibration, tuple(removed), loaded.notes)


def rollback(root: Path) -> Rollback:
    """Serve the previous index version again (a running service follows the pointer by itself)."""
    previous = previous_version(root)
    if previous is None:
        raise IndexNotFoundError(f"No earlier index version under {root} to roll back to (versions: "
                                 f"{current_version(root) or 'none'}). Build one with: faq ingest --index {root}")
    was = current_version(root)
    switch(root, previous)
    return Rollback(previous, was)
