"""Figures of the cnn lab section."""
