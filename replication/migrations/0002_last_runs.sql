-- The last regression check (`faq ingest`) and the last scheduled sync (FAQ_SYNC_INTERVAL), as the process that ran
-- them recorded them (replication.published: record_run, last_run), so replicas on every host show the same ones.
-- One row of each kind, replaced by the next run; `body` is the JSON the team page and /readyz show.

CREATE TABLE index_last_runs (
    kind        TEXT PRIMARY KEY CHECK (kind IN ('check', 'sync')),
    body        JSONB NOT NULL CHECK (jsonb_typeof(body) = 'object'),
    host        TEXT NOT NULL DEFAULT '',
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
