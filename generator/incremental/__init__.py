"""The incremental layer: caches, memos of unchanged work, the GC pause."""
