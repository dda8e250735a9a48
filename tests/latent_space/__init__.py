"""Tests of latent_space."""
