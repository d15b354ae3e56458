-- Index versions published for every replica (replication.published): each file of a version folder as
-- chunked bytea rows with its size and sha256; a version is complete only once all of its files are in.

CREATE TABLE index_versions (
    version      TEXT PRIMARY KEY,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    complete     BOOLEAN NOT NULL DEFAULT false,
    files        INTEGER NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE index_files (
    version TEXT NOT NULL REFERENCES index_versions (version) ON DELETE CASCADE,
    path    TEXT NOT NULL CHECK (path ~ '^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$'),
    size    BIGINT NOT NULL CHECK (size >= 0),
    sha256  TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    chunks  INTEGER NOT NULL CHECK (chunks >= 0),
    PRIMARY KEY (version, path)
);

-- the file row is written after its chunks (their checksum is known only once all are read): deferred
CREATE TABLE index_chunks (
    version TEXT NOT NULL,
    path    TEXT NOT NULL,
    seq     INTEGER NOT NULL CHECK (seq >= 0),
    data    BYTEA NOT NULL,
    PRIMARY KEY (version, path, seq),
    FOREIGN KEY (version, path) REFERENCES index_files (version, path) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- one row: the version every replica serves
CREATE TABLE index_served (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    version   TEXT NOT NULL REFERENCES index_versions (version),
    served_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- vectors do not compress: store the chunks as they are instead of trying pglz on every megabyte
ALTER TABLE index_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
