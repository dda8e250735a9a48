"""Tests of explain_attack."""
