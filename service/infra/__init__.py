"""Stores, PostgreSQL tuning, configuration, logging and gunicorn settings."""
