"""Assignment 6, dnn: layer normalization, attention and convolution as your own kernels, inside PyTorch."""
