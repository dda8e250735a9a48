"""Figures of the basics section."""
