"""PyTorch golden files: case definitions, file format and the generator."""
