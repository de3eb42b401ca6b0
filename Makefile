# The two commands a fresh machine needs: `make run` and `make test`. Everything they need is
# installed from here (Bun comes from the npm package `bun`, pinned in package.json).
BUN      := node_modules/.bin/bun
STAMP    := node_modules/.installed
SOURCES  := $(shell find src -name '*.ts' 2>/dev/null)
SEED     ?=
SEEDS    ?= 100000

.PHONY: install build run test sim bench bench-scale typecheck clean test-deps bench-deps

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@$(BUN) --version >/dev/null || node node_modules/bun/install.js
	@touch $(STAMP)

install: $(STAMP)

# --bytecode: the executable carries its code compiled to bytecode (as CommonJS), so a start does
# not parse and compile it first (an empty node answers /healthz in ~70–130 ms instead of
# ~140–200, half the CPU); the same write CPU per write measured back to back (README).
dist/yakt: $(STAMP) $(SOURCES) Makefile
	$(BUN) build --compile --bytecode src/main.ts src/storage/checkpoint-worker.ts --entry-naming '[name].[ext]' --outfile dist/yakt

build: dist/yakt

run: build
	./dist/yakt

# The console test drives the real telnet client through tmux; the dashboard test (test/ui) drives
# headless chromium through puppeteer-core; the security tests make their certificates with openssl.
# All are Debian packages.
test-deps:
	@command -v telnet >/dev/null && command -v tmux >/dev/null && command -v chromium >/dev/null && command -v openssl >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq telnet tmux netcat-openbsd chromium openssl >/dev/null; }

test: $(STAMP) build test-deps
	bash scripts/test.sh

typecheck: $(STAMP)
	node_modules/.bin/tsc -p tsconfig.json

# `make sim SEED=123` replays one schedule; `make sim SEEDS=100000` runs a long campaign.
sim: $(STAMP)
	$(BUN) run test/sim/cli.ts $(if $(SEED),--seed $(SEED),--seeds $(SEEDS) $(if $(JOBS),--jobs $(JOBS)))

# The side-by-side comparison runs a 3-member etcd from Debian's etcd-server package.
bench-deps:
	@command -v etcd >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; }

bench: $(STAMP) build bench-deps
	$(BUN) run scripts/bench.ts

# Issue 10's table at 1M partitions (10,000 topics × 100, RF 3); a few minutes.
bench-scale: $(STAMP) build
	$(BUN) run scripts/bench-scale.ts

clean:
	rm -rf dist
