"""Tests of cnn_lab."""
