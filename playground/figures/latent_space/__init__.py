"""Figures of the latent space section."""
