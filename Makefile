# cofre: build, demo, test, bench, fuzz. Every target first installs what is missing.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= $(BUILD_ASAN)
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc)
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages cofre needs to build and test.
DEB_PACKAGES := build-essential cmake ninja-build pkg-config git \
  libsqlite3-dev libssl-dev libzstd-dev libprotobuf-dev protobuf-compiler \
  libcurl4-openssl-dev libedit-dev libgtest-dev libgmock-dev libbenchmark-dev \
  libexpat1-dev libpq-dev sqlite3 zstd python3 python3-boto3 time clang-14 clang-format-14 libclang-rt-14-dev \
  postgresql-15 postgresql-client-15 python3-psycopg2 python3-cryptography python3-prometheus-client

.PHONY: all deps azure-tools build demo test unit-test e2e-test asan-test tsan-test fuzz-smoke fuzz bench clean servers-start servers-stop

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Azurite and @azure/storage-blob, pinned in tests/azure/package-lock.json (Node from Debian when
# missing). scripts/test-servers.sh start runs this too, so make test gets them.
azure-tools:
	BUILD=$(BUILD) bash scripts/install-azure-tools.sh >/dev/null

# The node clients of the wire-server tests (tests/node, versions pinned in its lock file). Node
# and npm come from Debian when the machine has no node yet.
node-deps:
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	@[ -d tests/node/node_modules/pg ] || npm ci --prefix tests/node --no-audit --no-fund --loglevel=error

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

demo: build
	rm -rf $(BUILD)/demo-data
	./$(BUILD)/cofre demo --data $(BUILD)/demo-data

# The whole suite: unit tests, end-to-end tests of the binary against real SQLite files, a
# real S3/KMS protocol server (moto_server on 127.0.0.1) and Azurite (Azure Blob), then the unit tests again under ASan +
# UBSan (clang-14 build in $(BUILD_ASAN), which also holds the fuzzers), then the threaded paths
# under ThreadSanitizer (clang-14 build in $(BUILD_TSAN): unit tests, and the server, jobs and
# pgbench tests against the sanitized binary), then a fuzz smoke run (FUZZ_SMOKE_SECONDS per
# target, default 5).
test: build node-deps
	@BUILD=$(BUILD) BUILD_ASAN=$(BUILD_ASAN) BUILD_TSAN=$(BUILD_TSAN) JOBS=$(JOBS) bash scripts/run-tests.sh

# The sanitizer and fuzz smoke steps of make test alone.
asan-test: deps
	@BUILD=$(BUILD) BUILD_ASAN=$(BUILD_ASAN) JOBS=$(JOBS) bash scripts/run-tests.sh asan

# The ThreadSanitizer step of make test alone.
tsan-test: deps node-deps
	@BUILD=$(BUILD) BUILD_TSAN=$(BUILD_TSAN) JOBS=$(JOBS) bash scripts/run-tests.sh tsan

fuzz-smoke: deps
	@BUILD=$(BUILD) BUILD_ASAN=$(BUILD_ASAN) JOBS=$(JOBS) bash scripts/run-tests.sh fuzz-smoke

bench: build
	BUILD_DIR=$(BUILD) bash bench/run.sh

# Every fuzz target for FUZZ_SECONDS (default 60) on its seed corpus, in the make test build.
fuzz: deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOFRE_FUZZ=ON >/dev/null
	ninja -C $(BUILD_FUZZ) -j $(JOBS) check_targets
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} bash scripts/fuzz.sh $(BUILD_FUZZ)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_TSAN)
