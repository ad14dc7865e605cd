# logsift — common tasks. `make help` lists them.
#
# Everything is built in release: the tests, the benchmarks and `make install` share one set
# of artifacts (wasmtime and librdkafka are compiled once). The build tree's path is remapped
# so that no installed file names the machine it was built on.
CARGO ?= cargo
INPUT ?= examples/sample.log
CONFIG ?= examples/logsift.toml
PREFIX ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc
DESTDIR ?=

# Spelled exactly as a shell that exports them by hand would (no stray space, no second copy):
# the C builds rerun whenever CFLAGS reads differently, and that is minutes of librdkafka.
REMAP := --remap-path-prefix=$(CURDIR)=logsift
PREFIX_MAP := -ffile-prefix-map=$(CURDIR)=logsift
export RUSTFLAGS := $(strip $(filter-out $(REMAP),$(RUSTFLAGS)) $(REMAP))
# The same for the C libraries built along (librdkafka, zstd): their debug info and file names.
export CFLAGS := $(strip $(filter-out $(PREFIX_MAP),$(CFLAGS)) $(PREFIX_MAP))
export CXXFLAGS := $(strip $(filter-out $(PREFIX_MAP),$(CXXFLAGS)) $(PREFIX_MAP))

# The plugins we ship, and the ones only tests load (kept apart: only shipped ones install).
SHIPPED := passthrough json syslog weblog ssh-root-login ssh-bruteforce sigma geoip threat-intel asset
TESTING := faulty sandbox-probe tagger
WASM_OUT := target/wasm32-wasip2/wasm
# rustc's wasm32-wasip2 target leaves wasm SIMD off; wasmtime runs it, and memchr, the UTF-8
# check and the parsers' byte searches use it. LLVM inlines more than its default: each call
# left in a plugin costs about forty instructions in wasmtime's code (prologue, epilogue, stack
# and epoch checks), and serde_json's string scan is one such call per string (json −12 %
# instructions per line, syslog −5 %, weblog −3 %; the Sigma component grows 9 %). `logsift
# build` sets the same for plugin authors.
WASM_RUSTFLAGS := -C target-feature=+simd128 -C llvm-args=-inline-threshold=500
# The dev tree is laid out like an installed prefix: target/release/logsift finds its plugins
# in target/lib/logsift/plugins and the SDK in target/share/logsift, as an installed
# bin/logsift finds them in lib/ and share/.
STAGE := target

.PHONY: help run build plugins wasm-target tools test bench lint fmt install clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: plugins ## run the pipeline on the embedded default (INPUT=file or -, CONFIG=file)
	$(CARGO) run --release -p logsift -- run --config $(CONFIG) --input $(INPUT)

build: plugins ## build the release binary and the plugins (target/release/logsift, target/lib/logsift/plugins)
	$(CARGO) build --release -p logsift

plugins: wasm-target ## build the plugins as components into target/lib/logsift/plugins (test-only ones: target/test-plugins)
	RUSTFLAGS="$(RUSTFLAGS) $(WASM_RUSTFLAGS)" $(CARGO) build --target wasm32-wasip2 --profile wasm $(foreach p,$(SHIPPED) $(TESTING),-p logsift-$(p))
	@mkdir -p $(STAGE)/lib/logsift/plugins target/test-plugins $(STAGE)/share/logsift/plugins
	@for p in $(SHIPPED); do cmp -s $(WASM_OUT)/logsift_$$(echo $$p | tr - _).wasm $(STAGE)/lib/logsift/plugins/$$p.wasm \
		|| cp $(WASM_OUT)/logsift_$$(echo $$p | tr - _).wasm $(STAGE)/lib/logsift/plugins/$$p.wasm; done
	@for p in $(TESTING); do cmp -s $(WASM_OUT)/logsift_$$(echo $$p | tr - _).wasm target/test-plugins/$$p.wasm \
		|| cp $(WASM_OUT)/logsift_$$(echo $$p | tr - _).wasm target/test-plugins/$$p.wasm; done
	@ln -sfn ../../../../plugins/sdk $(STAGE)/share/logsift/plugins/sdk
	@ln -sfn ../../../../plugins/event $(STAGE)/share/logsift/plugins/event
	@ln -sfn ../../../wit $(STAGE)/share/logsift/wit

tools: wasm-target ## install the wasm target, the Kafka-compatible broker (target/tools/tansu) and Chromium for the status page test
	bash .ci/install-tansu
	bash .ci/install-chromium

test: tools plugins ## build everything and run every test of the workspace
	$(CARGO) test --workspace --release

bench: tools plugins ## Wasm vs native throughput, hop cost, Kafka end to end, reload, file mode vs VRL, Sigma, serve's memory, enrichers, rendering, alert latency, Kafka settings sweep
	$(CARGO) bench --workspace --bench pipeline --bench kafka --bench reload --bench file_mode --bench sigma --bench serve_memory --bench enrich --bench render --bench alert_latency --bench kafka_settings
	@echo "figures: target/bench/results.json"

install: build ## install to $(DESTDIR)$(PREFIX): bin/logsift, lib/logsift/plugins, share/logsift (SDK, WIT, examples), $(SYSCONFDIR)/logsift/logsift.toml unless present
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/logsift/plugins
	install -m 0755 target/release/logsift $(DESTDIR)$(PREFIX)/bin/logsift
	install -m 0644 $(foreach p,$(SHIPPED),$(STAGE)/lib/logsift/plugins/$(p).wasm) $(DESTDIR)$(PREFIX)/lib/logsift/plugins/
	PREFIX=$(PREFIX) SYSCONFDIR=$(SYSCONFDIR) bash .ci/install-share $(DESTDIR)$(PREFIX)/share/logsift
	install -d $(DESTDIR)$(SYSCONFDIR)/logsift
	[ -e $(DESTDIR)$(SYSCONFDIR)/logsift/logsift.toml ] || install -m 0640 examples/kafka.toml $(DESTDIR)$(SYSCONFDIR)/logsift/logsift.toml

lint: ## formatting and clippy, natively and for the wasm target
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --exclude rsigma-eval --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-wasip2 --target-dir target/wasm -p logsift-sdk $(foreach p,$(SHIPPED) $(TESTING),-p logsift-$(p)) -- -D warnings

# rustup adds the toolchain file's targets only when it installs the toolchain itself: where
# 1.95 was there before (installed by hand or by an image), the wasm target is missing.
wasm-target:
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

fmt: ## format the code
	$(CARGO) fmt --all

clean: ## remove build output
	$(CARGO) clean
