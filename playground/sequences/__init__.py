"""Sequences: a recurrent network step by step, long memory (RNN, LSTM, GRU), a character language
model, word embeddings."""
