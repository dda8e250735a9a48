"""Figures of the training lab section."""
