"""The benchmark lab: scripts that measure this code on this machine, run from a source checkout, never installed.

    python -m benchmarks.bench [--parts stages,http,ingest,faiss,sizes]   where the time goes (bench.json, .md, .png)
    python -m benchmarks.load [--url U] [-c 1 -c 8 -c 32]                 a load run against a service on this machine
    python -m benchmarks.peer [--out var/bench]                          ours against a LangChain FAISS pipeline

They sit above eval/ (they use its datasets and metrics) and use the package's public API: an answer's own stage
timings (Answer.timings), never the searcher's private methods.
"""
