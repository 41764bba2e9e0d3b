"""Workbooks written for people: forms, lists, exports, problem lists."""
