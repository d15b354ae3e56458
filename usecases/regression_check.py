"""The regression check before a new index version is served (issue 32, part 4).

Between building a version and switching to it, `faq ingest` (usecases.versions.build_loaded) asks the same questions
of the served version and of the new one:
- the team's saved questions (`faq ingest --check FILE` or FAQ_CHECK_SET, in the questions-file format of
  ingest.questions: `faq eval --queries` and `faq calibrate` read the same files), every split;
- the most-asked questions of the query log (feedback/: the analytics' "most asked", 200 by default), which have no labels.

For each it keeps the first entry and the outcome (answer, related, none) before and after. The saved questions are
scored as `faq eval` scores them (eval.run.score_query: hit@1 over the in-scope ones; end to end, over all of them, the
right entry given as an answer, or an out-of-scope question not answered; answer accuracy, over the in-scope ones that
give a `fact`, the answer shown holding it), and the switch is refused when any drops by more than the tolerance
(default 0.02), unless forced. Answer accuracy is what catches an entry whose answer was replaced by another's: its
question still finds it (hit@1 and end to end barely move), but the answer no longer says what the team expects.
Logged questions have no labels: they only report what moved. The scores are eval's definitions, written again here
(eval/ is a layer above the use cases); tests/test_regression_check.py pins them to eval's on the same answers.

The last check's summary is kept beside the versions (`LAST_CHECK` in the versions root, written atomically), where
the team pages read it (GET /v1/admin/check). With FAQ_DATABASE_URL it is recorded in the database too (share_check),
and every replica's team page reads it there (shown_check): the host that ran `faq ingest` is not the one asked.

Both versions answer under the team's rules in force (issue #33: synonyms, pins, hidden entries; `check_rules`, the
feedback store's, as the service and `faq eval --rules` read them), so the check compares what customers would get.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from faq.curation import NO_RULES, Rules
from faq.errors import DatabaseError, FaqError
from faq.files import write_atomically
from faq.settings import Settings
from faq.text import normalize
from feedback.factory import existing_feedback_store
from index.deciding.answer import Answerer
from index.deciding.decide import Outcome
from index.disk.storage import read_manifest
from index.embedders import Embedder
from index.pipeline import open_answerer
from ingest.corpus import Corpus
from ingest.models import Entry
from ingest.questions import read_questions
from replication.published import PublishedVersions, published_versions

__all__ = ["CheckOptions", "CheckQuestion", "CheckRefusedError", "CheckReport", "DEFAULT_TOLERANCE", "LAST_CHECK",
           "LOGGED_QUESTIONS", "QuestionResult", "Reply", "Scores", "answer_all", "check_questions", "check_rules", "compare",
           "contains_fact", "forget_in_check", "forget_in_shared_check", "last_check", "report_lines", "run_check", "save_check",
           "share_check", "shown_check"]

log = logging.getLogger("faq.check")

LAST_CHECK = "last-check.json"  # in the versions root, beside CURRENT
DEFAULT_TOLERANCE = 0.02
LOGGED_QUESTIONS = 200  # the most-asked questions of the query log
SHOWN_CHANGES = 100  # changes kept in the summary (the JSON of `faq ingest --json` and the team page)
_EPSILON = 1e-9  # a drop of exactly the tolerance is within it


@dataclass(frozen=True)
class CheckOptions:
    """What `faq ingest` checks before switching: `questions`, the saved questions file (None: only the query log's);
    `tolerance`, the drop in hit@1 or end-to-end accuracy refused; `force`, switch anyway; `logged`, how many of the
    most-asked logged questions are asked too (0: none)."""

    questions: Path | None = None
    tolerance: float = DEFAULT_TOLERANCE
    force: bool = False
    logged: int = LOGGED_QUESTIONS

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckOptions:
        return cls(questions=settings.check_set, tolerance=settings.check_tolerance)


@dataclass(frozen=True)
class CheckQuestion:
    """A question the check asks. `relevant`: a saved question's entries (empty: the FAQ should not answer it); None for a
    logged question, which has no labels. `asked`: how often it was logged."""

    id: str
    text: str
    relevant: frozenset[str] | None
    asked: int = 0
    fact: str | None = None  # a saved question's expected words in the answer shown (the questions file's "fact")

    @property
    def saved(self) -> bool:
        return self.relevant is not None


@dataclass(frozen=True)
class Reply:
    """What one version did with one question: its first entry, the outcome and, for a saved question with a fact, whether
    the answer shown (the short answer, else the first passage) holds it."""

    entry: str | None
    outcome: Outcome
    fact_found: bool | None = None


@dataclass(frozen=True)
class QuestionResult:
    """One question asked of the served version (`before`; None when there was none to ask) and of the new one."""

    question: CheckQuestion
    before: Reply | None
    after: Reply

    @property
    def changed(self) -> bool:
        return self.before is not None and self.before != self.after

    def right(self, reply: Reply | None) -> bool | None:
        """End to end right, as `faq eval` scores it: the right entry answered, or an out-of-scope question not answered;
        None for a logged question or a missing reply."""
        if reply is None or self.question.relevant is None:
            return None
        if self.question.relevant:
            return reply.outcome == "answer" and reply.entry in self.question.relevant
        return reply.outcome != "answer"


@dataclass(frozen=True)
class Scores:
    """The saved questions' scores on one version: hit@1 over the in-scope ones, end-to-end accuracy over all."""

    questions: int
    in_scope: int
    hit_at_1: float | None
    end_to_end: float | None
    answer_accuracy: float | None = None  # over the in-scope questions with a fact


@dataclass(frozen=True)
class CheckReport:
    """The check of a new version against the served one. `refused`: why the switch is refused (None: it passed);
    `forced`: refused, but switched anyway. `note`: why nothing was compared, when so."""

    served: str | None
    candidate: str
    tolerance: float
    results: tuple[QuestionResult, ...]
    before: Scores | None
    after: Scores
    refused: str | None = None
    forced: bool = False
    note: str | None = None
    checked_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    rules: Rules = NO_RULES  # the team's rules both versions answered under

    @property
    def passed(self) -> bool:
        return self.refused is None

    @property
    def switched(self) -> bool:
        return self.passed or self.forced

    @property
    def changes(self) -> tuple[QuestionResult, ...]:
        return tuple(r for r in self.results if r.changed)

    def summary(self) -> dict[str, Any]:
        """What `faq ingest --json` prints and the team page shows; the first SHOWN_CHANGES changes, saved questions first."""
        saved = [r for r in self.results if r.question.saved]
        changes = sorted(self.changes, key=lambda r: (not r.question.saved, -r.question.asked))
        return {
            "served": self.served, "candidate": self.candidate, "checked_at": self.checked_at,
            "questions": len(self.results), "saved_questions": len(saved), "logged_questions": len(self.results) - len(saved),
            "hit_at_1": {"before": self.before.hit_at_1 if self.before else None, "after": self.after.hit_at_1},
            "end_to_end": {"before": self.before.end_to_end if self.before else None, "after": self.after.end_to_end},
            "answer_accuracy": {"before": self.before.answer_accuracy if self.before else None, "after": self.after.answer_accuracy},
            "changed": len(changes), "passed": self.passed, "forced": self.forced, "switched": self.switched,
            "reason": self.refused, "tolerance": self.tolerance, "note": self.note,
            "changes": [_change_dict(r) for r in changes[:SHOWN_CHANGES]],
            "rules": {"version": self.rules.version, "synonyms": len(self.rules.synonyms), "pins": len(self.rules.pins),
                      "hidden": len(self.rules.hidden)},
        }


class CheckRefusedError(FaqError):
    """The new version answers the saved questions worse than the served one, past the tolerance: it was not switched to.
    `report` holds the whole check."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        super().__init__(report.refused or "the regression check refused the new version")


def check_questions(options: CheckOptions, corpus: Corpus, served_entries: Sequence[Entry], settings: Settings) -> tuple[CheckQuestion, ...]:
    """The saved questions, then the most-asked logged ones. A saved question's titles resolve against the new corpus
    and the served one (an entry the change removed still names its id: a miss after); its entry ids are kept as given.
    Raises CorpusError for a malformed questions file, before anything is built."""
    saved: list[CheckQuestion] = []
    if options.questions is not None:
        known = {e.id: e for e in served_entries} | {e.id: e for e in corpus.entries}
        rows = read_questions(options.questions, Corpus((), tuple(known.values()), ""), check_ids=False)
        saved = [CheckQuestion(row.id, row.text, row.relevant, fact=row.fact) for row in rows]
    logged: list[CheckQuestion] = []
    if options.logged > 0:
        with existing_feedback_store(settings) as store:
            top = store.analytics(limit=options.logged)["top_questions"] if store is not None else []
        logged = [CheckQuestion(f"logged:{i}", row["question"], None, row["count"]) for i, row in enumerate(top, 1)]
    return (*saved, *logged)


def check_rules(settings: Settings) -> Rules:
    """The team's rules in force: the configured feedback store's (FAQ_DATABASE_URL, else the data folder's SQLite),
    as the service loads them; none when nothing was ever stored there."""
    with existing_feedback_store(settings) as store:
        return store.rules() if store is not None else NO_RULES


def answer_all(answerer: Answerer, questions: Sequence[CheckQuestion], rules: Rules = NO_RULES) -> list[Reply]:
    """Each question's first entry and outcome, as the service would answer it under `rules`."""
    replies = []
    for q in questions:
        answer = answerer.answer(q.text, top_k=1, rules=rules)
        shown = answer.short_answer.text if answer.short_answer is not None else answer.hits[0].chunk.text if answer.hits else None
        found = contains_fact(shown, q.fact) if q.fact and q.relevant else None
        replies.append(Reply(answer.hits[0].entry_id if answer.hits else None, answer.outcome, found))
    return replies


def contains_fact(text: str | None, fact: str | None) -> bool:
    """eval.metrics.contains_fact: case- and typography-insensitive containment."""
    if not text or not fact:
        return False
    return normalize(fact).casefold() in normalize(text).casefold()


def scores(results: Sequence[QuestionResult], before: bool) -> Scores:
    """eval.run.summarize's hit@1, end_to_end_accuracy and answer_accuracy over the saved questions' replies of one side."""
    saved = [r for r in results if r.question.relevant is not None]
    inside = [r for r in saved if r.question.relevant]
    reply = (lambda r: r.before) if before else (lambda r: r.after)  # noqa: E731
    hits = [(reply(r) or Reply(None, "none")).entry in (r.question.relevant or ()) for r in inside]
    right = [bool(r.right(reply(r))) for r in saved]
    facts = [bool((reply(r) or Reply(None, "none")).fact_found) for r in inside if r.question.fact]
    return Scores(len(saved), len(inside), _mean(hits), _mean(right), _mean(facts))


def compare(questions: Sequence[CheckQuestion], before: Sequence[Reply] | None, after: Sequence[Reply], served: str | None,
            candidate: str, options: CheckOptions, note: str | None = None, rules: Rules = NO_RULES) -> CheckReport:
    """The report of two versions' replies to the same questions, and whether the switch is refused."""
    results = tuple(QuestionResult(q, before[i] if before is not None else None, after[i]) for i, q in enumerate(questions))
    old = scores(results, before=True) if before is not None else None
    new = scores(results, before=False)
    refused = _refusal(old, new, options.tolerance, served) if old is not None else None
    return CheckReport(served, candidate, options.tolerance, results, old, new, refused, options.force and refused is not None,
                       note, rules=rules)


def run_check(questions: Sequence[CheckQuestion], served: Path | None, candidate: Path, candidate_name: str,
              settings: Settings, models: Sequence[Embedder], options: CheckOptions, rules: Rules = NO_RULES) -> CheckReport:
    """Ask `questions` of the served version's folder (None: there is none) and of the new one, with the same models,
    both under the team's `rules` (check_rules).

    The served version is compared only when fit to compare: built with the same model and calibrated for the configured
    retrieval (else its answers say nothing of this change, and the note says why)."""
    config = settings.retrieval()
    after = answer_all(open_answerer(candidate, config, models), questions, rules)
    if served is None:
        return compare(questions, None, after, None, candidate_name, options, "no version was served before: nothing to compare with",
                       rules)
    manifest = read_manifest(served)
    if manifest.embedder != models[0].name or manifest.calibration is None or manifest.calibration.retrieval != config.key():
        why = (f"built with {manifest.embedder}, the new one with {models[0].name}" if manifest.embedder != models[0].name
               else "not calibrated for the configured retrieval")
        return compare(questions, None, after, served.name, candidate_name, options,
                       f"the served version {served.name} is {why}: its answers are not compared", rules)
    before = answer_all(open_answerer(served, config, models), questions, rules)
    return compare(questions, before, after, served.name, candidate_name, options, rules=rules)


def save_check(root: Path, report: CheckReport) -> None:
    """Keep the check's summary beside the versions (replaced atomically: a reader sees the last one or this one)."""
    root.mkdir(parents=True, exist_ok=True)
    write_atomically(root / LAST_CHECK, json.dumps(report.summary(), ensure_ascii=False, indent=2))


def last_check(root: Path) -> dict[str, Any] | None:
    """The last check's summary under a versions root; None when no ingest checked anything there (or it is unreadable)."""
    try:
        found = json.loads((root / LAST_CHECK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def share_check(settings: Settings, report: CheckReport) -> None:
    """With FAQ_DATABASE_URL, record the check's summary for every replica's team page; a database away only loses
    that copy (said in the log), never the check's verdict nor the local file."""
    if settings.database_url is None:
        return
    try:
        with published_versions(settings.database_url.get_secret_value()) as registry:
            registry.record_run("check", report.summary())
    except DatabaseError as e:
        log.warning("the regression check was not recorded in the database (the other replicas do not show it): %s", e)


def shown_check(root: Path, shared: PublishedVersions | None) -> dict[str, Any] | None:
    """The check the team page shows: the database's with one (`shared`: replicas on other hosts ran it), else the file's.
    Raises DatabaseError when the database cannot be read."""
    return shared.last_run("check") if shared is not None else last_check(root)


def forget_in_check(root: Path, value: str) -> int:
    """`faq forget`: drop the last check's questions containing `value` (any case), as the query log's are; how many."""
    kept, removed = _without_questions(last_check(root), value)
    if kept is not None and removed:
        write_atomically(root / LAST_CHECK, json.dumps(kept, ensure_ascii=False, indent=2))
    return removed


def forget_in_shared_check(shared: PublishedVersions, value: str) -> int:
    """`faq forget` with FAQ_DATABASE_URL: the same in the database's copy of the last check."""
    kept, removed = _without_questions(shared.last_run("check"), value)
    if kept is not None and removed:
        shared.record_run("check", kept)
    return removed


def _without_questions(found: dict[str, Any] | None, value: str) -> tuple[dict[str, Any] | None, int]:
    """The summary without its changes whose question contains `value` (any case), and how many went."""
    needle = value.strip().casefold()
    if found is None or not needle or not isinstance(found.get("changes"), list):
        return found, 0
    kept = [c for c in found["changes"] if needle not in str(c.get("question", "")).casefold()]
    return {**found, "changes": kept}, len(found["changes"]) - len(kept)


def report_lines(report: CheckReport) -> list[str]:
    """The check in plain lines for the terminal: the scores before and after, then each question whose entry, outcome or
    fact found moved (saved ones first, marked right or wrong), then the verdict."""
    saved = sum(r.question.saved for r in report.results)
    against = f"the served version {report.served}" if report.served else "no served version"
    lines = [f"check of {report.candidate} against {against}: {saved} saved question(s), "
             f"{len(report.results) - saved} most-asked logged question(s)"]
    if report.note:
        lines.append(f"  {report.note}")
    if report.rules:
        lines.append(f"  under the team's rules version {report.rules.version}: {len(report.rules.synonyms)} synonym(s), "
                     f"{len(report.rules.pins)} pin(s), {len(report.rules.hidden)} hidden")
    if saved:
        old = report.before
        lines.append(f"  saved questions: hit@1 {_delta(old.hit_at_1 if old else None, report.after.hit_at_1)}, "
                     f"end to end {_delta(old.end_to_end if old else None, report.after.end_to_end)}"
                     + (f", answer accuracy (facts) {_delta(old.answer_accuracy if old else None, report.after.answer_accuracy)}"
                        if report.after.answer_accuracy is not None else ""))
    changes = sorted(report.changes, key=lambda r: (not r.question.saved, -r.question.asked))
    if report.before is not None:
        lines.append(f"  {len(changes)} question(s) changed entry, outcome or fact found" + (":" if changes else ""))
    for r in changes:
        assert r.before is not None
        kind = "saved" if r.question.saved else f"logged ({r.question.asked}x)"
        fact = (f"; fact {_found(r.before.fact_found)} -> {_found(r.after.fact_found)}"
                if r.before.fact_found != r.after.fact_found else "")
        verdict = f"  [{_mark(r.right(r.before))} -> {_mark(r.right(r.after))}{fact}]" if r.question.saved else ""
        lines.append(f"    {kind} {json.dumps(r.question.text, ensure_ascii=False)}: "
                     f"{_reply(r.before)} -> {_reply(r.after)}{verdict}")
    if report.refused and report.forced:
        lines.append(f"refused, switched anyway (--force): {report.refused}")
    elif report.refused:
        lines.append(f"refused: {report.refused}")
    elif report.before is not None:
        lines.append(f"passed (tolerance {report.tolerance:g})")
    return lines


def _refusal(before: Scores, after: Scores, tolerance: float, served: str | None) -> str | None:
    drops = [f"{name} of the saved questions fell from {old:.3f} to {new:.3f} (-{old - new:.3f})"
             for name, old, new in (("hit@1", before.hit_at_1, after.hit_at_1), ("end-to-end accuracy", before.end_to_end, after.end_to_end),
                                    ("answer accuracy", before.answer_accuracy, after.answer_accuracy))
             if old is not None and new is not None and old - new > tolerance + _EPSILON]
    if not drops:
        return None
    return (f"{' and '.join(drops)}, more than the tolerance {tolerance:g}: version {served} stays served. Fix the corpus, "
            "or switch anyway with faq ingest --force (or allow more with --tolerance)")


def _mean(values: Sequence[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _delta(before: float | None, after: float | None) -> str:
    if after is None:
        return "-"
    if before is None:
        return f"{after:.3f}"
    return f"{before:.3f} -> {after:.3f} ({after - before:+.3f})"


def _reply(reply: Reply) -> str:
    return f"{reply.entry or 'no entry'} ({reply.outcome})"


def _found(found: bool | None) -> str:
    return "-" if found is None else "found" if found else "missing"


def _mark(right: bool | None) -> str:
    return "?" if right is None else "right" if right else "wrong"


def _change_dict(r: QuestionResult) -> Mapping[str, Any]:
    side = lambda reply: {"entry": reply.entry, "outcome": reply.outcome, "fact_found": reply.fact_found} if reply is not None else None  # noqa: E731
    return {"question": r.question.text, "saved": r.question.saved, "asked": r.question.asked,
            "relevant": sorted(r.question.relevant) if r.question.relevant is not None else None,
            "before": side(r.before), "after": side(r.after), "right_before": r.right(r.before), "right_after": r.right(r.after),
            "fact": r.question.fact}
