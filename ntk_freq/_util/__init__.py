"""Private helpers: input validation, thread policy, scoped float64, atomic stores and provenance,
labels, the table of moved names."""
