"""The Training lab: optimizers on 2-D surfaces, initialization, batch normalization, dropout and regularization."""
