"""File safety: atomic writes, paths, the installation key, sealed memos and the crash-safe journal."""
