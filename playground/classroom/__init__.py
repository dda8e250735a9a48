"""Classroom: exercises a teacher hands out as links."""
