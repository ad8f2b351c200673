GO ?= go

.PHONY: build demo deps test fuzz lint bench clean

# Without cgo the binaries are static: each exec (capsulectl, the executor,
# every capsule manager) saves about a millisecond of dynamic loading.
build:
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/...

# The main job: start a capsule, use it, stop and wipe it (as root).
demo: build
	./scripts/demo.sh

deps:
	./scripts/install-deps.sh

# Installs test dependencies, then vets and runs every test (as root),
# then each fuzz target briefly.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) fuzz FUZZTIME=5s

# The parsers of what a capsule writes (unit files, command lines,
# environment values), fuzzed for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/unit
	$(GO) test -run='^$$' -fuzz='^FuzzParseCommand$$' -fuzztime=$(FUZZTIME) ./internal/unit
	$(GO) test -run='^$$' -fuzz='^FuzzSplitEnvValue$$' -fuzztime=$(FUZZTIME) ./internal/unit
	$(GO) test -run='^$$' -fuzz='^FuzzExpandEnv$$' -fuzztime=$(FUZZTIME) ./internal/unit
	$(GO) test -run='^$$' -fuzz='^FuzzParseEnvFile$$' -fuzztime=$(FUZZTIME) ./internal/process
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/unitconf

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench: build
	$(GO) run ./bench

clean:
	rm -rf bin
