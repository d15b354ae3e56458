"""Fit to serve: the one rule for whether an index may answer with the configured settings, and what each way in may do.

An index is fit to serve when
  1. there is one, readable (FAQ_INDEX_DIR holds a manifest, or a CURRENT pointer to a version that does);
  2. it is calibrated, so it has a "no answer" decision (uncalibrated, it answers every question with confidence 1);
  3. it is calibrated for the configured retrieval (`Settings.retrieval().key()`): its decision was fitted to these scores;
  4. it was built with the model that will embed the questions (its manifest's `embedder`): its vectors are that model's.

Who may repair what:
- `faq serve` (`make_fit_to_serve`) builds a new version from FAQ_CORPUS when 1 or 4 fails (a new build is calibrated,
  so 2 and 3 follow), and recalibrates the served version when only 2 or 3 fails (then republishes its manifest with
  FAQ_DATABASE_URL, so every replica reloads it). It also builds again when FAQ_CORPUS was edited since the served
  version was built (`corpus_drift`: entries added, changed or removed in a document the version holds); a version
  of another FAQ altogether (no document in common: `faq ingest OTHER` on purpose, or FAQ_CORPUS pointed elsewhere) is
  served as it is, and said so, as is any drift with FAQ_DATABASE_URL (the replicas serve the database's version).
- Every other way in only checks (`unfit_to_serve`): `uvicorn service.asgi:app` and the service's first load, a reload
  (POST /v1/admin/reload, the pointer watcher) and `faq ask` refuse an unfit index with the reason and the command that
  fixes it, which /readyz reports while the last good index (if any) keeps answering.

The reason names the first of 1-3 that fails, then 4; its fix is what `faq serve` would do about everything that fails.
The model is checked when the caller names it (`model`): the service and `faq ask` name the primary of the models they
search with, `faq serve` the configured one (FAQ_EMBEDDER, not loaded); without it, opening the index checks it
(index.disk.storage.load_index, index.ranking.search.Searcher), as for the eval's own indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from faq.errors import FaqError
from faq.settings import Settings
from index.disk.build import RECORDS
from index.disk.manifest import IndexManifest
from index.disk.records import Records
from index.disk.storage import read_manifest
from index.disk.versions import resolve
from index.embedders import load_embedder
from index.pipeline import answer_at_current
from ingest.corpus import load_corpus
from ingest.fetch import is_site
from ingest.models import entry_changed
from usecases.calibrate import CalibrationResult, calibrate_index
from usecases.versions import fetch_published, publish_calibration

Problem = Literal["no index", "not calibrated", "calibrated for other settings", "built with another model"]
Repair = Literal["build", "calibrate"]
# what `faq serve` does about each problem; the others only refuse
REPAIRS: dict[Problem, Repair] = {"no index": "build", "built with another model": "build",
                                  "not calibrated": "calibrate", "calibrated for other settings": "calibrate"}


@dataclass(frozen=True)
class Drift:
    """FAQ_CORPUS as it reads now against the entries the served version was built from (by id; phrasings accepted since
    are not counted: they join at the next ingest)."""

    version: str
    corpus: str
    added: int
    changed: int
    removed: int
    same_faq: bool  # a document in common: the FAQ was edited since; else the version is of another FAQ

    def describe(self) -> str:
        if not self.same_faq:
            return (f"version {self.version} holds another FAQ than FAQ_CORPUS={self.corpus} (no document in common); "
                    f"run faq ingest to index {self.corpus}, or set FAQ_CORPUS to the FAQ you indexed")
        return (f"FAQ_CORPUS={self.corpus} changed since version {self.version} was built: {self.added} entries added, "
                f"{self.changed} changed, {self.removed} removed")


@dataclass(frozen=True)
class Fitness:
    """An index as found against the settings: every problem in the order the reason names them (none: fit)."""

    root: Path  # what FAQ_INDEX_DIR (or --index) names: an index folder or a versions root
    problems: tuple[Problem, ...]
    path: Path | None = None  # the served version's folder; None when no index could be read
    manifest: IndexManifest | None = None
    error: FaqError | None = None  # why no index could be read ("no index")
    retrieval: str = ""  # the configured retrieval's key
    model: str | None = None  # the model the questions would be embedded with, when the caller named it
    drift: Drift | None = None  # `faq serve`: how FAQ_CORPUS differs from what the served version was built from

    @property
    def fit(self) -> bool:
        return not self.problems

    @property
    def repair(self) -> Repair | None:
        """What `faq serve` does: build when any problem needs a new version, else calibrate; None when fit."""
        needed = {REPAIRS[p] for p in self.problems}
        return "build" if "build" in needed else "calibrate" if needed else None

    @property
    def reason(self) -> str | None:
        """Why an entry that only checks refuses it, with the command that fixes it; None when fit."""
        if not self.problems:
            return None
        if self.error is not None:
            return str(self.error)
        assert self.manifest is not None
        fix = ("run faq serve (it calibrates before serving) or faq calibrate" if self.repair == "calibrate" else
               "run faq serve (it builds the index again from FAQ_CORPUS) or faq ingest")
        info = self.manifest.calibration
        first = self.problems[0]
        if first == "not calibrated":
            return f"The index at {self.root} is not calibrated, so it would answer every question; {fix}"
        if first == "calibrated for other settings":
            assert info is not None
            return f"The index at {self.root} is calibrated for {info.retrieval!r}, the settings configure {self.retrieval!r}; {fix}"
        return f"The index at {self.root} was built with {self.manifest.embedder!r}, questions would be embedded with {self.model!r}; {fix}"


def check_fit(settings: Settings, index_dir: Path | None = None, model: str | None = None) -> Fitness:
    """The served version of `index_dir` (default FAQ_INDEX_DIR) against the settings; reads its manifest only.

    `model`: the name of the primary model the questions would be embedded with (`Embedder.name`); None leaves the
    model to the index's own check when it opens."""
    root = index_dir or settings.index_dir
    key = settings.retrieval().key()
    try:
        path, _ = resolve(root)
        manifest = read_manifest(path)
    except FaqError as e:
        return Fitness(root, ("no index",), error=e, retrieval=key, model=model)
    problems: list[Problem] = []
    if manifest.calibration is None:
        problems.append("not calibrated")
    elif manifest.calibration.retrieval != key:
        problems.append("calibrated for other settings")
    if model is not None and manifest.embedder != model:
        problems.append("built with another model")
    return Fitness(root, tuple(problems), path, manifest, retrieval=key, model=model)


def unfit_to_serve(settings: Settings, index_dir: Path | None = None, model: str | None = None) -> str | None:
    """What every way in but `faq serve` asks: why the served version of `index_dir` must not answer with these
    settings, None when it may. An index that cannot be read raises why (IndexNotFoundError, a corrupt manifest…)."""
    found = check_fit(settings, index_dir, model)
    if found.error is not None:
        raise found.error
    return found.reason


def configured_model(settings: Settings) -> str:
    """The name the configured primary model (FAQ_EMBEDDER) writes into an index's manifest; no model loads."""
    return load_embedder(settings.embedder).name


def recalibrate_if_stale(index_dir: Path, settings: Settings) -> CalibrationResult | None:
    """Recalibrate an index never calibrated, or calibrated for another configuration (an upgrade, a changed FAQ_* setting).

    Otherwise it would be served without its threshold, background words or query bank (an uncalibrated index answers
    everything), and one whose labelled answer threshold was chosen for another shipped decision model. None when it
    was calibrated for these settings (its embedding model is not looked at)."""
    found = check_fit(settings, index_dir)
    if found.error is not None:
        raise found.error
    calibration = found.manifest.calibration if found.manifest is not None else None
    if found.reason is None and (calibration is None or answer_at_current(calibration)):
        return None
    return calibrate_index(index_dir, settings.calibration_set, settings)


def corpus_drift(settings: Settings, path: Path) -> Drift | None:
    """How FAQ_CORPUS differs from the entries of the version at `path`; None when it does not, when it is a site (not
    fetched at start) or when either cannot be read (the served version keeps answering; `faq ingest` says why)."""
    if is_site(settings.corpus):
        return None
    try:
        after = {e.id: e for e in load_corpus(settings.corpus).entries}
        records = Records.load(path / RECORDS)
    except FaqError:
        return None
    before = {e.id: e for e in records.entries}
    added = sum(i not in before for i in after)
    removed = sum(i not in after for i in before)
    # moved counts: the version's citations point into the file as it was; its phrasings include the ones accepted since
    changed = sum(i in before and entry_changed(before[i], e, moved=True, phrasings_added=True) for i, e in after.items())
    if not (added or changed or removed):
        return None
    same_faq = bool({d.id for d in records.documents} & {e.document_id for e in after.values()})
    return Drift(path.name, str(settings.corpus), added, changed, removed, same_faq)


@dataclass(frozen=True)
class Followed:
    """A replica's index before it serves (FAQ_DATABASE_URL): the version fetched, or why the local one is served."""

    fetched: str | None = None  # the database's served version, fetched now
    behind: str | None = None  # the database could not be followed: why, while `local` is served
    local: str | None = None


def follow_published(settings: Settings) -> Followed:
    """Bring FAQ_INDEX_DIR to the version the database serves before `faq serve` checks it (a replica gets that version
    rather than building its own). When the database cannot be followed, the local index is served and `behind` says
    why; with no local index the error is raised, since building one here would diverge from the other replicas."""
    try:
        status = fetch_published(settings)
    except FaqError as e:
        try:
            _, local = resolve(settings.index_dir)
        except FaqError:
            raise e from None
        return Followed(behind=str(e), local=local)
    return Followed(fetched=status.fetched if status is not None else None)


@dataclass(frozen=True)
class MadeFit:
    """What `faq serve` did before serving: `found` is the index as it was."""

    found: Fitness
    built: bool = False  # a new version was built (`found.drift`: because FAQ_CORPUS changed)
    calibration: CalibrationResult | None = None  # the served version recalibrated
    republished: str | None = None  # the version whose new manifest went to the database (every replica reloads it)


def make_fit_to_serve(settings: Settings, build: Callable[[Fitness], object]) -> MadeFit:
    """`faq serve`'s repair: a new version when there is no index or it was built with another model than FAQ_EMBEDDER
    (`build`, given what was found, builds FAQ_CORPUS into FAQ_INDEX_DIR: `faq ingest`'s work, calibrated and switched
    to); a recalibration of the served version when it is uncalibrated or calibrated for other settings. A new version too
    when FAQ_CORPUS was edited since the served one was built (`corpus_drift`), without FAQ_DATABASE_URL; otherwise the
    drift is only reported (`found.drift`)."""
    found = check_fit(settings, model=configured_model(settings))
    if found.repair == "build":
        build(found)
        return MadeFit(found, built=True)
    drift = corpus_drift(settings, found.path) if found.path is not None else None
    found = replace(found, drift=drift)
    if drift is not None and drift.same_faq and settings.database_url is None:
        build(found)
        return MadeFit(found, built=True)
    if found.repair == "calibrate":
        assert found.path is not None
        calibration = calibrate_index(found.path, settings.calibration_set, settings)
        return MadeFit(found, calibration=calibration, republished=publish_calibration(settings.index_dir, settings))
    return MadeFit(found)
