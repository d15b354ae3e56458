"""An ingest killed at any step of a build never leaves a version that is served, rolled back to or kept in place of
a good one while incomplete or uncalibrated, and the next ingest cleans up after it (index.disk.versions)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

import faq.files
import index.disk.build
import index.disk.records
import usecases.calibrate
import usecases.versions
from faq.errors import IndexBusyError
from faq.settings import Settings
from index.disk.storage import read_manifest
from index.disk.versions import LOCK, VERSIONS, current_version, ingest_lock, is_complete, resolve, versions
from ingest import load_corpus
from usecases.versions import build_loaded, rollback

KILLED = 137  # what a shell reports for kill -9: the child leaves without running any cleanup


def _die(*_args, **_kwargs):
    os._exit(KILLED)


def _after(original: Callable) -> Callable:
    def call(*args, **kwargs):
        original(*args, **kwargs)
        os._exit(KILLED)
    return call


# (where, how): each patches one step of `build_loaded` in the child process so that it dies there, as kill -9 would
STEPS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "embedding": lambda mp: mp.setattr(index.disk.build.FaissStore, "build", _die),
    "writing the build's files": lambda mp: mp.setattr(index.disk.records.Records, "save", _after(index.disk.records.Records.save)),
    "built, not calibrated": lambda mp: mp.setattr(usecases.versions, "calibrate_index", _die),
    "calibrating": lambda mp: mp.setattr(usecases.calibrate, "store_calibration", _die),
    "writing the calibrated manifest": lambda mp: mp.setattr(faq.files.os, "replace", _die),
    "calibrated, not in versions/": lambda mp: mp.setattr(usecases.versions, "promote", _die),
    "in versions/, not switched": lambda mp: mp.setattr(usecases.versions, "switch", _die),
    "switched, not pruned": lambda mp: mp.setattr(usecases.versions, "prune", _die),
}


TINY_FAQ = """# Pedal & Co

## Booking

### How do I book a bike?
Online or at the shop counter, with a deposit of 50 EUR.

### Can I cancel my booking?
Free cancellation up to 48 hours before pick-up.

## Payment

### How do I get a refund?
To the card used for payment, within 5 working days of the return.
"""


# every step is run by `make test`; the quick run keeps the step the fault was found at (each case builds 2-4 versions)
QUICK_STEP = "built, not calibrated"
EVERY_STEP = [pytest.param(step, marks=() if step == QUICK_STEP else pytest.mark.slow) for step in STEPS]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A three-entry FAQ, calibrated label-free as a new help center's is: each build takes a fraction of a second."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pedal.en.md").write_text(TINY_FAQ, encoding="utf-8")
    return Settings(index_dir=tmp_path / "index", corpus=corpus, data_dir=tmp_path / "data", keep_versions=2,
                    calibration_set=None)


@pytest.fixture
def build(settings: Settings, fake_models) -> Callable[[], str]:
    corpus = load_corpus(settings.corpus)
    return lambda: build_loaded(corpus, settings.index_dir, settings, fake_models).version


def _killed_while(step: str, build: Callable[[], str]) -> int:
    """Run a build in a child process that dies at `step`; its exit status."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            with pytest.MonkeyPatch.context() as mp:
                STEPS[step](mp)
                build()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _served_is_calibrated(root: Path) -> bool:
    return read_manifest(resolve(root)[0]).calibration is not None


@pytest.mark.parametrize("step", EVERY_STEP)
def test_an_ingest_killed_at_any_step_leaves_a_calibrated_version_served(step, build, settings):
    root = settings.index_dir
    build()
    assert _killed_while(step, build) == KILLED, f"the build never reached {step!r}"
    assert current_version(root) is not None and _served_is_calibrated(root)
    assert all(is_complete(root / VERSIONS / v) for v in versions(root))


@pytest.mark.parametrize("step", EVERY_STEP)
def test_a_rollback_after_a_killed_ingest_serves_a_calibrated_version(step, build, settings):
    root = settings.index_dir
    build()
    build()
    assert _killed_while(step, build) == KILLED
    rollback(root)
    assert _served_is_calibrated(root)


@pytest.mark.parametrize("step", EVERY_STEP)
def test_the_next_ingest_keeps_the_previous_good_version_and_removes_the_leftovers(step, build, settings):
    root = settings.index_dir
    build()
    good = build()  # keep_versions=2: after the next clean ingest, this is the one a rollback must find
    _killed_while(step, build)
    served_after_kill = current_version(root)
    new = build()
    assert current_version(root) == new and _served_is_calibrated(root)
    assert served_after_kill in versions(root)  # what was serving when the new one was switched to is kept
    left = sorted(p.name for p in (root / VERSIONS).iterdir())
    assert left == sorted(versions(root)), f"leftovers in {root / VERSIONS}: {left}"
    assert rollback(root).version == served_after_kill and _served_is_calibrated(root)
    assert good in versions(root) or served_after_kill != good


def test_an_interrupted_ingest_ctrl_c_removes_its_staging_folder_at_once(build, settings, monkeypatch):
    root = settings.index_dir
    good = build()

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(usecases.versions, "calibrate_index", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build()
    assert current_version(root) == good
    assert sorted(p.name for p in (root / VERSIONS).iterdir()) == [good]


def test_a_second_ingest_into_the_same_folder_is_refused_while_one_runs(build, settings):
    root = settings.index_dir
    with ingest_lock(root):
        with pytest.raises(IndexBusyError, match=f"Another faq ingest is building into {root}.*{LOCK}"):
            build()


def test_an_uncalibrated_version_left_by_an_older_release_is_never_rolled_back_to(build, settings, fake_index_dir, tmp_path):
    """Before staging folders, a killed ingest left a complete but uncalibrated version in versions/."""
    import shutil

    root = settings.index_dir
    first = build()
    orphan = root / VERSIONS / (first[:-4] + "ffff")  # sorts after the first, before the next
    shutil.copytree(fake_index_dir, orphan)
    manifest = (orphan / "manifest.json")
    manifest.write_text(read_manifest(orphan).model_copy(update={"calibration": None}).model_dump_json())
    build()
    assert orphan.name not in versions(root) and not orphan.exists()
    assert rollback(root).version == first


def test_sigterm_during_an_ingest_leaves_the_served_version_alone(build, settings):
    """A process manager stopping `faq ingest` (SIGTERM, the default action: no Python cleanup runs)."""
    root = settings.index_dir
    good = build()
    pid = os.fork()
    if pid == 0:
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(usecases.versions, "promote", lambda *a, **k: os.kill(os.getpid(), signal.SIGTERM))
                build()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == -signal.SIGTERM
    assert current_version(root) == good and versions(root) == [good]
