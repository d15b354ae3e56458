"""Question in, ranked FAQ entries out: the signals (dense models, BM25), their fusion (search), the lexical analyzer,
background words, and the entry table searching builds once per loaded index (entries). Reads the index on disk (index.disk)."""
