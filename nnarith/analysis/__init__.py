"""Analysis: shapes, counts, memory and receptive fields of a loaded network."""
