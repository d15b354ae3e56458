"""The bundled embedders give the same vectors however they are called: alone, at once, or in a batch."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from eval.datasets import load_dataset

QUESTIONS = [q.text for q in load_dataset("watch-faq").queries][:24]


def test_questions_asked_at_once_get_the_vectors_they_get_alone(embedder):
    alone = np.vstack([embedder.encode_queries([q]) for q in QUESTIONS])
    with ThreadPoolExecutor(8) as clients:
        together = np.vstack(list(clients.map(lambda q: embedder.encode_queries([q]), QUESTIONS)))
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_a_batch_gets_the_vectors_its_texts_get_alone(embedder):
    alone = np.vstack([embedder.encode_passages([q]) for q in QUESTIONS])
    np.testing.assert_allclose(embedder.encode_passages(QUESTIONS), alone, atol=1e-4)


def test_a_repeated_question_reuses_its_vector_and_it_cannot_be_changed(use_embedder):
    first = use_embedder.encode_queries(["garantie de ma montre"])
    assert use_embedder.encode_queries(["garantie de ma montre"]) is first
    assert not first.flags.writeable
