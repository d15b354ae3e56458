"""Limits, in one place: the API's schemas, the answerer and the CLI check requests against these, ingest its files."""

from __future__ import annotations

MAX_TOP_K = 20  # results a request may ask for
DEFAULT_TOP_K = 5  # results when a request gives no top_k (FAQ_DEFAULT_TOP_K overrides it for the service)
MAX_QUESTION_CHARS = 1000  # a search-box question
MAX_MESSAGE_CHARS = 5000  # a customer's whole message to the agent panel
MAX_SUGGESTIONS = 3  # suggested entries per question in the agent panel, by default

# --- corpus files: what ingest reads before it refuses, naming the file (ingest.decode, ingest.corpus, ingest.html_text) ---
# The figures a real help center sits far below: the saved pages and exports in tests/fixtures/helpcenters nest 4-7
# elements deep, busy documentation pages 12-29; the largest answers of the bundled and evaluation corpora are a
# few thousand characters; Zendesk pages hold at most 100 articles.
MAX_FILE_BYTES = 64 * 1024 * 1024  # one file: an export page of 100 articles with pasted screenshots is a few MB
MAX_CORPUS_BYTES = 256 * 1024 * 1024  # every file of a corpus, read into memory at once; checked before reading
MAX_ENTRY_CHARS = 200_000  # one answer (some 60 printed pages): a longer one is a document dump, not an answer
MAX_HTML_DEPTH = 100  # elements inside each other; rendering recurses per level, so 1,000 would overflow the stack.
# The stdlib parser nests elements whose end tag is left out (`<li>a<li>b`), which is how valid HTML can get deep.
MAX_EXPANSION = 4  # characters of text a file's entries may hold per byte of the file: HTML renders to less
# text than its markup; a table's header repeated in every row can make more, so only runaway files reach 4.

# --- embedding: the work `faq ingest` says up front (ingest.workload) ---
EMBED_CHARS_PER_SECOND = 12_500  # measured: quebec-en (212 KB, two models and the sentence vectors) in 16.9 s on 2 cores
WARN_EMBED_CHARS = 1_500_000  # about two minutes of embedding: `faq ingest` prints its estimate before starting
DEFAULT_MAX_EMBED_CHARS = 25_000_000  # about half an hour: refused unless FAQ_MAX_EMBED_CHARS is raised
