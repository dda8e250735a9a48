"""The Basics section: the 2-D playground, one neuron, backpropagation by hand and universal approximation."""
