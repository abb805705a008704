# Two commands for a new user: `make serve` (set up, build the index, open the chat) and
# `make test` (set up, run the tests). Everything lives in .venv; nothing is downloaded at run time.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build of torch: a bare `torch` requirement may pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0

.PHONY: setup serve test eval bench browser-deps ocr-deps clean

$(BIN)/tilqa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

setup: $(BIN)/tilqa

# The Ray extra (tilqa build --ray), which the test of builds on a local two-node cluster needs.
# With it, the OCR extra (pytesseract; the tesseract program comes from ocr-deps).
$(VENV)/.ray-extra: pyproject.toml $(BIN)/tilqa
	$(BIN)/python -m pip install --quiet -e ".[test,ray,ocr]"
	touch $@

serve: setup
	$(BIN)/tilqa serve

test: setup $(VENV)/.ray-extra browser-deps ocr-deps
	$(BIN)/python -m pytest -ra

eval: setup
	$(BIN)/tilqa eval eval/dev.jsonl --show-misses

# Headless Chromium for the browser test, from Debian's packages, when we may install them
# (root, as in CI); elsewhere the browser test says it is skipped and why.
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "note: /usr/bin/chromium missing and not root: the browser test will be skipped"; fi

# Tesseract, for OCR of scanned PDFs (the ocr extra), from Debian's packages when we may install
# them; elsewhere the OCR tests say they are skipped and why.
ocr-deps:
	@if command -v tesseract >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing tesseract-ocr for OCR of scanned PDFs"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null; \
	else echo "note: tesseract missing and not root: the OCR tests will be skipped"; fi

clean:
	rm -rf $(VENV) index/CURRENT index/builds index/.build.lock artifacts
