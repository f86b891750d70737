"""Batch matching jobs: a worker process claims queued jobs from the database and runs them."""
