"""The CNN lab: convolution and pooling worked out, looking inside a trained CNN, famous architectures."""
