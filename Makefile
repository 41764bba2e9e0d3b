# Two entry points for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean

# Reinstall only when the packaging changes; safe to rerun.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Ends with the exact commands to look at the result: the tool lives in .venv/bin, not on the PATH.
demo: $(STAMP)
	$(BIN)/hallscore demo
	@echo ""
	@echo "查看演示站点:$(BIN)/hallscore serve --site-dir demo/site   然后在浏览器打开 http://127.0.0.1:8000/"
	@echo "  (或不启动服务,直接用浏览器打开 demo/site/index.html)"
	@echo "直接输入 hallscore 命令:先运行 source $(BIN)/activate,或每次写成 $(BIN)/hallscore …"
	@echo "站点:$(CURDIR)/demo/site"

# ruff and mypy (configured in pyproject.toml) before the tests: a lint error fails `make test`.
lint: $(STAMP)
	$(BIN)/ruff check generator tests bench
	$(BIN)/mypy --strict generator

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf site demo .hallscore-build
