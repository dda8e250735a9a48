"""Figures of the beyond-classification section."""
