"""Tests of basics."""
