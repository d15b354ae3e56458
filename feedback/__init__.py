"""What people did with the answers: the query log, verdicts, phrasings. Shared state below the service and the use cases."""
