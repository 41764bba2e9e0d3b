"""hallscore: 中国电信营业厅服务评价 — inspector forms, intake, scoring, tiering and the results site."""

__version__ = "0.1.0"
