"""Content gaps: the unanswered questions grouped by meaning, so the team writes one entry per need.

Greedy single pass, most asked first: a question joins the first group whose leader it resembles
(cosine >= `threshold`), else leads a new group. Embedded with the sentence model (USE, when the
service has it: it separates paraphrases better than the retrieval model), else the primary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.embedders import Embedder, model_for

__all__ = ["Gap", "group_gaps", "grouping_model"]


@dataclass
class Gap:
    question: str  # the group's most asked question
    count: int  # searches over the whole group
    questions: list[tuple[str, int]] = field(default_factory=list)  # members with their counts, the leader first


def grouping_model(models: Sequence[Embedder]) -> Embedder:
    """The model declaring the `grouping` role (USE) when it is among the service's models, else the primary."""
    return model_for("grouping", models) or models[0]


def group_gaps(questions: Sequence[tuple[str, int]], model: Embedder, threshold: float = 0.75) -> list[Gap]:
    """`questions`: (text, count), most asked first. Groups ordered by their total count."""
    if not questions:
        return []
    vectors = np.asarray(model.encode_queries([q for q, _ in questions]), dtype=np.float32)
    leaders: list[int] = []
    groups: list[Gap] = []
    for i, (text, count) in enumerate(questions):
        if leaders:
            similarity = vectors[leaders] @ vectors[i]
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                groups[best].questions.append((text, count))
                groups[best].count += count
                continue
        leaders.append(i)
        groups.append(Gap(question=text, count=count, questions=[(text, count)]))
    return sorted(groups, key=lambda g: -g.count)
