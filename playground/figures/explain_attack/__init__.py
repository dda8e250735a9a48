"""Figures of the explain attack section."""
