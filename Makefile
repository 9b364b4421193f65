# incident: make demo · make test · make install · make bench · make format · make fuzz · make sanitize
SWIFT ?= swift
PREFIX ?= /usr/local
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build test demo install bench format lint clean fuzz sanitize

# libcurl's and zlib's headers are the system dependencies; install them when they are missing.
deps:
	@missing=""; \
	echo '#include <curl/curl.h>' | cc -E -x c - >/dev/null 2>&1 || missing="$$missing libcurl4-openssl-dev"; \
	echo '#include <zlib.h>' | cc -E -x c - >/dev/null 2>&1 || missing="$$missing zlib1g-dev"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	@bash scripts/demo.sh "$$($(SWIFT) build --show-bin-path)/incident"

install: deps
	$(SWIFT) build -c release
	install -d "$(PREFIX)/bin"
	install "$$($(SWIFT) build -c release --show-bin-path)/incident" "$(PREFIX)/bin/incident"

# Every benchmark, one table (bench/README.md): BENCH_ARGS="--sizes 1,10 --runs 3" for a shorter run.
BENCH_ARGS ?=
bench: deps
	python3 bench/run.py $(BENCH_ARGS)

# libFuzzer targets (fuzz/README.md): each runs FUZZ_SECONDS; a crash fails the run and names its reproducer.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= frontmatter yaml-roundtrip template analyzer
fuzz: deps
	SWIFT="$(SWIFT)" FUZZ_SECONDS="$(FUZZ_SECONDS)" bash fuzz/run.sh $(FUZZ_TARGETS)

# The whole suite under AddressSanitizer (with LeakSanitizer), then ThreadSanitizer, each in its
# own build folder; every test runs under both. The runtime's backtracer is off: under ASan it
# reads the stack in a way ASan reports as an error. The suppressed leaks are the toolchain's
# (scripts/lsan-suppressions.txt).
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=address --build-path .build-asan
	SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt:print_suppressions=0 \
		$(SWIFT) test --skip-build --sanitize=address --build-path .build-asan
	$(SWIFT) build --build-tests --sanitize=thread --build-path .build-tsan
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --skip-build --sanitize=thread --build-path .build-tsan

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests Plugins

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Plugins

clean:
	rm -rf .build .build-asan .build-tsan fuzz/.build
