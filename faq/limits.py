"""Request limits, in one place: the API's schemas, the answerer and the CLI check against these."""

from __future__ import annotations

MAX_TOP_K = 20  # results a request may ask for
DEFAULT_TOP_K = 5  # results when a request gives no top_k (FAQ_DEFAULT_TOP_K overrides it for the service)
MAX_QUESTION_CHARS = 1000  # a search-box question
MAX_MESSAGE_CHARS = 5000  # a customer's whole message to the agent panel
MAX_SUGGESTIONS = 3  # suggested entries per question in the agent panel, by default
