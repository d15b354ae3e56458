"""The index on disk: building a folder from a corpus (build), loading and checking it (storage), its vector store, records,
manifest, each vector's neighbourhood (hubness), sentence vectors, known questions' vectors, and the versions beside each other.

Knows the embedders (index.embedders), nothing of ranking or deciding: what they keep beside the vectors (BM25, the
short answer's sentence split) the build is given by its caller (index.pipeline.build_index)."""
