"""Analyses over the IR that several transforms read (what memory an array value is)."""
