# gridstitch — two commands do all the set-up: `make demo` and `make test`.
SWIFT ?= swift
APT_PACKAGES := libpng-dev libturbojpeg0-dev libzmq3-dev pkg-config
# The browser test's real browser and its driver, the HTTP client the route tests use, `ip` for
# the network-namespace hosts, and venv for the Python peers (pyzmq, imagezmq).
TEST_APT_PACKAGES := chromium chromium-driver curl iproute2 python3-venv
# The real ZeroMQ peers the tests run: raw pyzmq clients and unchanged imagezmq senders.
VENV := .venv-test
VENV_PACKAGES := pyzmq==26.* imagezmq==1.2.0 numpy simplejpeg
CONFIG ?= release

.PHONY: demo test live build deps test-deps venv lint bench clean

# Installs what is missing (Debian packages; needs root or sudo), nothing else.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

test-deps:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(APT_PACKAGES) $(TEST_APT_PACKAGES)"

# The test venv, made once (PyPI); the tests find it at $(VENV)/bin/python.
venv: $(VENV)/.done

$(VENV)/.done:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check $(VENV_PACKAGES)
	touch $@

build: deps
	$(SWIFT) build -c $(CONFIG)

# The default demo: 16 cameras through shm-ring, 1000 grids, every frame verified, a snapshot
# every 250 grids, the last grid in output/grid-latest.png.
demo: build
	.build/$(CONFIG)/gridstitch run --verify --snapshot-every 250

# A long demo with the live view (a million grids, about 17 minutes at the default 1 kHz genlock):
# open the printed URL; Ctrl-C stops it and prints the summary.
live: build
	.build/$(CONFIG)/gridstitch run --load io --frames 1000000 --serve $(or $(SERVE),127.0.0.1:8080)

test: test-deps venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Package.swift Sources Tests

bench: build
	.build/$(CONFIG)/gridstitch bench

clean:
	rm -rf .build $(VENV)
