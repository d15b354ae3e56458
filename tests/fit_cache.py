"""Calibrations made once per test run (issue #29): `faq ingest`, the sync and the versions tests calibrate the same few
indexes of the fakes ~100 times a run, most of it ranking the same off-topic lines against the same entries.

`install` wraps the calibrations that usecases.calibrate runs (`fit_label_free`, and `fit` on labelled questions): the
first call for an input is run as before and its result kept (pickled, in a folder the run's xdist workers share); a
later call with the same input gets a copy of it, and the searcher is opened on it as the fit itself opens it. The input
is every byte of the index folder but the manifest's build time and calibration, the configuration, the models and the
questions, with three parts left out that the fit's result does not depend on (test_fit_cache.py shows each):
- the vectors reused from an earlier fit (`earlier`, and the index's own calibration-queries.npz, read only as `earlier`)
  that are the ones the model gives their text: they save embedding it again, the fit takes the same vector either way.
  Only the others are part of the input (a vector of another width is not taken: it is left out as well).
- logged questions (`traffic`) when there are fewer than index.pipeline.MIN_QUERY_BANK different ones: the fit uses
  none of them then.
- the port of a loopback site's URLs in records.json (the tests' HTTP servers take any free port), and the manifest's
  corpus checksum (of the files read, URLs included): the fits read neither (the searcher is opened on this index's
  records), and the records and vectors the corpus made are part of the input.
Only plain fakes (tests/fakes.py) are cached: their vectors are a function of their name and the text. A model that
records or counts what it embeds, or a real model, always fits. Tests of the fits themselves call index.pipeline, which
is not wrapped. Workers that miss the same input at once wait for the first one to fit it. FIT_CACHE_VERIFY=1 fits every
input again even when a result is kept, and fails when the two differ.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from index.disk.known import CALIBRATION_QUERIES
from index.pipeline import usable_traffic

from fakes import FakeEmbedder

VOLATILE = ("built_at", "build_seconds", "calibration")  # manifest fields that differ between two builds of one input
LOOPBACK_PORT = re.compile(rb"(http://(?:127\.0\.0\.1|localhost)):\d+")  # in records.json: a test server's port
UNREAD = ("corpus_checksum",)  # manifest fields the fits do not read (usecases.calibrate's title lookup is outside them)
SKIPPED = (CALIBRATION_QUERIES,)  # index files the fits do not read (usecases.calibrate reads it as `earlier`, keyed apart)


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

    @contextmanager
    def making(self, key: str) -> Iterator[None]:
        """Held while one worker fits `key`'s input: another worker that misses it too waits, and then gets the result."""
        with open(self.folder / f"{key}.lock", "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def put(self, key: str, value: object) -> None:
        data = self._memory[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        partial = self.folder / f"{key}.{os.getpid()}.tmp"
        partial.write_bytes(data)
        os.replace(partial, self.folder / key)  # another worker reads it whole or not at all


def plain_fakes(models: Sequence[object]) -> bool:
    """Whether every model is a plain fake (whose fits are kept)."""
    return bool(models) and all(type(m) is FakeEmbedder for m in models)


def digest(kind: str, index: Any, config: object, models: Sequence[object], *parts: object) -> str | None:
    """What a fit's result depends on, hashed; None when a model is not a plain fake (it is then not cached)."""
    if not plain_fakes(models):
        return None
    h = hashlib.sha256(repr((kind, config, [(m.name, sorted(m.roles)) for m in models])).encode())  # type: ignore[attr-defined]
    for part in parts:
        _update(h, part)
    folder = Path(index.path)
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in SKIPPED):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        if path.name == "manifest.json":
            manifest = {k: v for k, v in json.loads(path.read_bytes()).items() if k not in VOLATILE + UNREAD}
            h.update(json.dumps(manifest, sort_keys=True).encode())
        elif path.name == "records.json":
            h.update(LOOPBACK_PORT.sub(rb"\1:PORT", path.read_bytes()))
        else:
            h.update(path.read_bytes())
    return h.hexdigest()


def unlike_fresh(earlier: Mapping[str, Mapping[str, np.ndarray]] | None, models: Sequence[Any]) -> dict[str, dict[str, bytes]]:
    """The earlier vectors the fit would take that are not the ones its model gives their text (by model and text, as
    float32 bytes): only these can make its result differ from a fit without `earlier` (index.embedders.EmbeddingCache
    takes a vector of the model's width in place of embedding the text, and embeds the text otherwise)."""
    unlike: dict[str, dict[str, bytes]] = {}
    for model in models:
        by_text = {t: np.asarray(v, dtype=np.float32) for t, v in (earlier or {}).get(model.name, {}).items()
                   if np.shape(v) == (model.dim,)}
        fresh = dict(zip(by_text, model.encode_queries(list(by_text)))) if by_text else {}
        differing = {t: v.tobytes() for t, v in by_text.items() if v.tobytes() != fresh[t].tobytes()}
        if differing:
            unlike[model.name] = differing
    return unlike


def banked_traffic(traffic: Sequence[str]) -> tuple[str, ...]:
    """The logged questions the fit uses (index.pipeline.usable_traffic): the different ones but junk, in order, when
    there are enough for a query bank; none else."""
    return tuple(usable_traffic(traffic))


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

    verify = os.environ.get("FIT_CACHE_VERIFY") == "1"

    def through(key: str | None, run: Callable[[], tuple[Any, Any]], index: Any, config: Any, embedders: Any) -> tuple[Any, Any]:
        """`run()`'s (searcher, result), kept under `key`; a kept one with its searcher opened as the fit opens it."""
        kept = cache.get(key) if key else None
        if kept is None or verify:
            with cache.making(key) if key and kept is None else nullcontext():
                kept = cache.get(key) if key and kept is None else kept  # made meanwhile by a worker this one waited for
                if kept is None or verify:
                    searcher, result = run()
                    made = (searcher.learnt, searcher.vectors, result)
                    if key and kept is None:
                        cache.put(key, made)
                    elif kept is not None:
                        assert same_fit(kept, made), f"the fit kept under {key} is not the one this input gets"
                    return searcher, result
        learnt, vectors, result = kept
        return open_searcher(index, config, embedders, learnt, vectors), result

    def cached_fit_label_free(index, config, embedders, off_topic, traffic=(), earlier=None):
        key = (digest("label-free", index, config, embedders, off_topic, banked_traffic(traffic), unlike_fresh(earlier, embedders))
               if plain_fakes(embedders) else None)  # a model that records what it embeds is not asked for `earlier`'s texts
        return through(key, lambda: fit_label_free(index, config, embedders, off_topic, traffic, earlier), index, config, embedders)

    def cached_fit(index, config, embedders, questions):
        key = digest("labelled", index, config, embedders, questions)
        return through(key, lambda: fit(index, config, embedders, questions), index, config, embedders)

    set_attr(module, "fit_label_free", cached_fit_label_free)
    set_attr(module, "fit", cached_fit)


def same_fit(a: tuple[Any, Any, Any], b: tuple[Any, Any, Any]) -> bool:
    """Two fits' (learnt, vectors, result) are equal, the vectors and what the fit embedded bit for bit."""
    (learnt_a, vectors_a, result_a), (learnt_b, vectors_b, result_b) = a, b
    return (learnt_a == learnt_b and result_a == result_b and _same_arrays(vectors_a, vectors_b)
            and _same_arrays(getattr(result_a, "embedded", None), getattr(result_b, "embedded", None)))


def _same_arrays(a: object, b: object) -> bool:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_same_arrays(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return bool(a == b)
