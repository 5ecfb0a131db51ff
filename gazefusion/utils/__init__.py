"""Small shared helpers (atomic files, image I/O)."""
