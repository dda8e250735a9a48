"""Figures of the sequences section."""
