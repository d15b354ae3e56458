"""Calibrations made once per test run (issue #29): `faq ingest`, the sync and the versions tests calibrate the same few
indexes of the fakes ~100 times a run, most of it ranking the same off-topic lines against the same entries.

`install` wraps the calibrations that usecases.calibrate runs (`fit_label_free`, and `fit` on labelled questions): the
first call for an input is run as before and its result kept (pickled, in a folder the run's xdist workers share); a
later call with the same input gets a copy of it, and the searcher is opened on it as the fit itself opens it. The input
is every byte of the index folder but the manifest's build time and calibration, the configuration, the models, the
questions and the vectors reused from an earlier fit. Only plain fakes (tests/fakes.py) are cached: their vectors are a
function of their name and the text. A model that records or counts what it embeds, or a real model, always fits.
Tests of the fits themselves call index.pipeline, which is not wrapped.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fakes import FakeEmbedder

VOLATILE = ("built_at", "build_seconds", "calibration")  # manifest fields that differ between two builds of one input


class FitCache:
    """Fit results by input digest: pickled bytes in `folder` (shared by the workers), and in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._memory: dict[str, bytes] = {}

    def get(self, key: str) -> Any | None:
        """A fresh copy of what was kept (a searcher may add to the dicts it was given), None when nothing was."""
        data = self._memory.get(key)
        if data is None:
            try:
                data = self._memory[key] = (self.folder / key).read_bytes()
            except FileNotFoundError:
                return None
        return pickle.loads(data)

    def put(self, key: str, value: object) -> None:
        data = self._memory[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        partial = self.folder / f"{key}.{os.getpid()}.tmp"
        partial.write_bytes(data)
        os.replace(partial, self.folder / key)  # another worker reads it whole or not at all


def digest(kind: str, index: Any, config: object, models: Sequence[object], *parts: object) -> str | None:
    """What a fit's result depends on, hashed; None when a model is not a plain fake (it is then not cached)."""
    if not models or any(type(m) is not FakeEmbedder for m in models):
        return None
    h = hashlib.sha256(repr((kind, config, [(m.name, sorted(m.roles)) for m in models])).encode())  # type: ignore[attr-defined]
    for part in parts:
        _update(h, part)
    folder = Path(index.path)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        if path.name == "manifest.json":
            manifest = {k: v for k, v in json.loads(path.read_bytes()).items() if k not in VOLATILE}
            h.update(json.dumps(manifest, sort_keys=True).encode())
        else:
            h.update(path.read_bytes())
    return h.hexdigest()


def _update(h: Any, part: object) -> None:
    """Hashes questions (strings, labelled questions) and earlier vectors (model -> text -> vector)."""
    if isinstance(part, Mapping):
        for name in sorted(part):
            h.update(repr(name).encode())
            _update(h, part[name])
    elif isinstance(part, np.ndarray):
        h.update(repr((part.dtype.str, part.shape)).encode() + np.ascontiguousarray(part).tobytes())
    elif isinstance(part, Iterable) and not isinstance(part, str):
        h.update(b"[")
        for item in part:
            _update(h, item)
        h.update(b"]")
    else:
        h.update(repr(part).encode() + b"\0")


def install(cache: FitCache, module: Any, set_attr: Callable[[Any, str, object], None]) -> None:
    """Wraps `module`'s `fit_label_free` and `fit` (usecases.calibrate's, as it imported them) with `cache`."""
    from index.pipeline import open_searcher

    fit_label_free, fit = module.fit_label_free, module.fit

    def through(key: str | None, run: Callable[[], tuple[Any, Any]], index: Any, config: Any, embedders: Any) -> tuple[Any, Any]:
        """`run()`'s (searcher, result), kept under `key`; a kept one with its searcher opened as the fit opens it."""
        kept = cache.get(key) if key else None
        if kept is None:
            searcher, result = run()
            if key:
                cache.put(key, (searcher.learnt, searcher.vectors, result))
            return searcher, result
        learnt, vectors, result = kept
        return open_searcher(index, config, embedders, learnt, vectors), result

    def cached_fit_label_free(index, config, embedders, off_topic, traffic=(), earlier=None):
        key = digest("label-free", index, config, embedders, off_topic, traffic, earlier or {})
        return through(key, lambda: fit_label_free(index, config, embedders, off_topic, traffic, earlier), index, config, embedders)

    def cached_fit(index, config, embedders, questions):
        key = digest("labelled", index, config, embedders, questions)
        return through(key, lambda: fit(index, config, embedders, questions), index, config, embedders)

    set_attr(module, "fit_label_free", cached_fit_label_free)
    set_attr(module, "fit", cached_fit)
