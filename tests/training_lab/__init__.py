"""Tests of training_lab."""
