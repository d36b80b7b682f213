"""Rendering reports: the terminal table, JSON, CSV and Markdown."""
