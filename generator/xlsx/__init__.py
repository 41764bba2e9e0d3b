"""Reading and writing workbooks: the fast reader, container checks, text-safe writers."""
