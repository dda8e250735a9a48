"""Latent space: autoencoders and their code space, and a GAN on the plane."""
