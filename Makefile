# incident: make demo · make test · make install · make bench · make format · make fuzz · make sanitize
SWIFT ?= swift
PREFIX ?= /usr/local
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build test demo install bench format lint clean fuzz sanitize mcp-interop

# libcurl's, zlib's and libedit's headers are the system dependencies, and chromium and vim the
# tests' (the exported HTML page is checked in headless chromium; a prompt test drives vim);
# install them when they are missing.
deps:
	@missing=""; \
	echo '#include <curl/curl.h>' | cc -E -x c - >/dev/null 2>&1 || missing="$$missing libcurl4-openssl-dev"; \
	echo '#include <zlib.h>' | cc -E -x c - >/dev/null 2>&1 || missing="$$missing zlib1g-dev"; \
	echo '#include <histedit.h>' | cc -E -x c - >/dev/null 2>&1 || missing="$$missing libedit-dev"; \
	command -v vim >/dev/null || command -v vim.tiny >/dev/null || missing="$$missing vim-tiny"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# The suite's own duration is printed at the end (the README keeps a recent figure).
test: deps
	$(SWIFT) build --build-tests
	@start=$$(date +%s); $(SWIFT) test --skip-build; rc=$$?; \
		echo "make test: the suite took $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

demo: build
	@bash scripts/demo.sh "$$($(SWIFT) build --show-bin-path)/incident"

# incident mcp driven by a second MCP client, Python's (PyPI `mcp`, in a venv under .build); not part of make test.
mcp-interop: build
	@[ -x .build/mcp-venv/bin/python ] || python3 -m venv .build/mcp-venv
	@.build/mcp-venv/bin/python -c 'import mcp' 2>/dev/null || .build/mcp-venv/bin/pip install -q mcp
	.build/mcp-venv/bin/python scripts/mcp-interop.py "$$($(SWIFT) build --show-bin-path)/incident"

# The binary, its man page (argument-parser's generate-manual plugin, built from the checked-out
# package, no network) and shell completions for bash, zsh and fish.
MANDIR ?= $(PREFIX)/share/man/man1
# The Swift runtime and Foundation are linked in (--static-swift-stdlib): no dynamic symbol
# look-ups at start-up (about 4 ms of every run), at the cost of a larger binary.
RELEASE_FLAGS ?= -c release --static-swift-stdlib
install: deps
	$(SWIFT) build $(RELEASE_FLAGS)
	$(SWIFT) package plugin generate-manual
	install -d "$(PREFIX)/bin" "$(MANDIR)" "$(PREFIX)/share/bash-completion/completions" \
		"$(PREFIX)/share/zsh/site-functions" "$(PREFIX)/share/fish/vendor_completions.d"
	install "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/incident" "$(PREFIX)/bin/incident"
	install -m 644 .build/plugins/GenerateManual/outputs/incident/incident.1 "$(MANDIR)/incident.1"
	"$(PREFIX)/bin/incident" --generate-completion-script bash > "$(PREFIX)/share/bash-completion/completions/incident"
	"$(PREFIX)/bin/incident" --generate-completion-script zsh > "$(PREFIX)/share/zsh/site-functions/_incident"
	"$(PREFIX)/bin/incident" --generate-completion-script fish > "$(PREFIX)/share/fish/vendor_completions.d/incident.fish"

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
