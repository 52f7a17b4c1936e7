# gridstitch — two commands do all the set-up: `make demo` and `make test`.
SWIFT ?= swift
# FFmpeg's libraries for --source and --record: libavcodec-dev brings Debian 12's libavcodec59,
# which depends on libx264-164, the H.264 encoder a recording uses.
APT_PACKAGES := libpng-dev libturbojpeg0-dev libxxhash-dev libzmq3-dev pkg-config \
  libavformat-dev libavcodec-dev libavdevice-dev libswscale-dev libavutil-dev
# The browser test's real browser and its driver, the HTTP client the route tests use, `ip` for
# the network-namespace hosts, venv for the Python peers (pyzmq, imagezmq), and the `ffmpeg`
# program that makes the media tests' clips, with `ffprobe`, which reads the recordings back
# (gridstitch itself uses FFmpeg's libraries only).
TEST_APT_PACKAGES := chromium chromium-driver curl ffmpeg iproute2 python3-venv \
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
# The real ZeroMQ peers the tests run: raw pyzmq clients and unchanged imagezmq senders.
VENV := .venv-test
VENV_PACKAGES := pyzmq==26.* imagezmq==1.2.0 numpy simplejpeg
CONFIG ?= release

.PHONY: demo test sanitize tsan fuzz live build deps test-deps venv lint bench clean

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

# The whole suite under AddressSanitizer, in its own scratch path. The CLI tests run the
# `gridstitch` beside the test bundle, so they run the ASan binary too, and so does every camera
# it forks or spawns. Reports go to files (log_path), not to stderr, because a test may swallow a
# child's stderr: any file in $(ASAN_LOGS) fails the run, whatever the tests said.
# detect_leaks=0: Swift's -sanitize=address on Linux turns LeakSanitizer on (it is ASan's default
# on x86_64), and at exit it reports the toolchain's own objects, not ours: in the test runner
# some 700 KB in 7,000 allocations held by swift-corelibs-foundation (every Foundation.Process,
# Data read by FileManager.contents) and XCTest's harness. Its scan at exit also delays every
# process's end, which the suite's "answered within 1 s" checks measure.
ASAN_SCRATCH := .build-asan
ASAN_LOGS := $(CURDIR)/$(ASAN_SCRATCH)/asan-logs
ASAN_RUN_OPTIONS := log_path=$(ASAN_LOGS)/asan:halt_on_error=1:detect_leaks=0
ASAN_RUN_OPTIONS := $(ASAN_RUN_OPTIONS):suppressions=$(CURDIR)/.ci/asan.supp

sanitize: test-deps venv
	$(SWIFT) build --build-tests --sanitize=address --scratch-path $(ASAN_SCRATCH)
	rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	status=0; ASAN_OPTIONS="$(ASAN_RUN_OPTIONS)" $(SWIFT) test --skip-build --no-parallel \
	  --sanitize=address --scratch-path $(ASAN_SCRATCH) || status=$$?; \
	.ci/sanitizer-logs $(ASAN_LOGS) AddressSanitizer || status=1; exit $$status

# ThreadSanitizer over the suites that run threads inside one process (the live view's encoder
# and server, the snapshot writer, the ZAP handler thread, the hubs' bookkeeping, the threads
# transport). None of them forks: the only children they start are posix_spawn'ed (/bin/sleep;
# `gridstitch bench` over in-process transports, which runs the TSan binary and reports into the
# same folder). Left out: GridstitchCLITests, whose every run forks or spawns camera processes
# of the binary. TSan cannot follow a fork once a process runs threads (it refuses to start
# threads in such a child), so that suite would stand on gridstitch forking before its first
# thread, and it would add the suite's ten minutes again to a CI over its budget; those
# processes run under `make sanitize`.
TSAN_SCRATCH := .build-tsan
TSAN_LOGS := $(CURDIR)/$(TSAN_SCRATCH)/tsan-logs
TSAN_SUITES := GridCoreTests|GridZMQTests|GridPosixTests|GridTransportsTests|GridImageTests|GridStitchTests|GridViewTests
TSAN_RUN_OPTIONS := log_path=$(TSAN_LOGS)/tsan:halt_on_error=1:second_deadlock_stack=1
TSAN_RUN_OPTIONS := $(TSAN_RUN_OPTIONS):suppressions=$(CURDIR)/.ci/tsan.supp

tsan: test-deps venv
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	rm -rf $(TSAN_LOGS) && mkdir -p $(TSAN_LOGS)
	status=0; TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" $(SWIFT) test --skip-build --no-parallel \
	  --sanitize=thread --scratch-path $(TSAN_SCRATCH) --filter '^($(TSAN_SUITES))\.' || status=$$?; \
	.ci/sanitizer-logs $(TSAN_LOGS) ThreadSanitizer || status=1; exit $$status

# libFuzzer (with AddressSanitizer) over every parser of outside bytes: the package beside this
# one, FuzzTesting/, one target per parser. Each replays its committed corpus and every input that
# ever crashed it, then fuzzes for FUZZ_SECONDS; a crash or report fails the run (FuzzTesting/run.sh).
FUZZ_SECONDS ?= 60

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) FuzzTesting/run.sh

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Package.swift Sources Tests \
	  FuzzTesting/Package.swift FuzzTesting/Sources

bench: build
	.build/$(CONFIG)/gridstitch bench

clean:
	rm -rf .build $(VENV)
