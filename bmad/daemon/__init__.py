"""The background daemon, its SQLite store and its local API."""
