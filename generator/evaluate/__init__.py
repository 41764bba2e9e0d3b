"""Scoring, tiering, 逐级认定, decisions and 结果应用: returns the typed year."""
