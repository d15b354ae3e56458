"""Index versions published in PostgreSQL (published) and each replica following the served one into its own index folder
(follower). Above the index on disk (index.disk.versions), below the use cases and the service."""
