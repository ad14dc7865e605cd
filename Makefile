# logsift — common tasks. `make help` lists them.
CARGO ?= cargo
INPUT ?= examples/sample.log
CONFIG ?= examples/logsift.toml

.PHONY: help run build plugins tools test bench lint fmt clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: ## run the pipeline on the embedded default (INPUT=file or -, CONFIG=file)
	$(CARGO) run -p logsift -- run --config $(CONFIG) --input $(INPUT)

build: ## build the release binary and the plugins (target/release/logsift, target/plugins/*.wasm)
	$(CARGO) build --release -p logsift

plugins: ## build only what the host's build script builds: the plugins, as components
	$(CARGO) build -p logsift

tools: ## install the wasm target and the Kafka-compatible broker the end-to-end tests use (target/tools/tansu)
	rustup target add wasm32-wasip2
	bash .ci/install-tansu

test: tools ## build the plugins and run every test of the workspace
	$(CARGO) test --workspace

bench: tools ## Wasm vs native throughput, the cost of one passthrough hop, end to end through a broker
	$(CARGO) bench -p logsift --bench pipeline --bench kafka --bench reload --bench sigma --bench enrich

lint: ## formatting and clippy, natively and for the wasm target
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-wasip2 --target-dir target/wasm -p logsift-sdk -p logsift-passthrough -p logsift-json -p logsift-syslog -p logsift-weblog -p logsift-ssh-root-login -p logsift-ssh-bruteforce -p logsift-sigma -p logsift-geoip -p logsift-threat-intel -p logsift-asset -p logsift-faulty -- -D warnings

fmt: ## format the code
	$(CARGO) fmt --all

clean: ## remove build output
	$(CARGO) clean
