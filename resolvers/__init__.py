"""Data access: plain functions of a SQLAlchemy connection that return records."""
