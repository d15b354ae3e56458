-- FAQ_QUERY_LOG_DAYS: the daily delete of queries and verdicts older than the retention finds them by time.
CREATE INDEX IF NOT EXISTS queries_ts ON queries (ts);
CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts);
