"""Reading the landing folder: one module per source, shared helpers for text exports."""
