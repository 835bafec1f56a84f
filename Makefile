# vaultshim — see README.md. `make` builds build/vaultshim; `make test` runs every test.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD := build
VERSION := 0.1.0

CC ?= cc
PKG_CONFIG ?= pkg-config
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl libcjson 2>/dev/null)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs libcurl libcjson 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wformat=2 -Wstrict-prototypes
# Error messages live in fixed 512-byte buffers and are cut on purpose when a
# path is absurdly long; gcc's truncation guesses would flag every one of them.
WARN += -Wno-format-truncation
# CI builds with -Werror; locally warnings stay warnings unless WERROR=1.
ifneq ($(or $(CI),$(WERROR)),)
WARN += -Werror
endif
OPT ?= -O2 -g
CFLAGS ?=
CFLAGS += -std=c11 $(OPT) $(WARN) -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIC -Isrc \
	-DVS_VERSION='"$(VERSION)"' -DVS_LIBDIR='"$(PREFIX)/lib"' -DVS_PKGLIBDIR='"$(PREFIX)/lib/vaultshim"'
LDFLAGS += -Wl,-z,relro -Wl,-z,now

# The core without network code (the preload links only these).
CORE_SRC := src/audit.c src/common.c src/config.c src/dotenv.c src/log.c src/resolve.c src/secret.c src/helper.c \
	src/snapshot.c
# libc only too, but for the launcher alone: what a launch will run.
LAUNCH_SRC := src/core/target.c
# Everything the commands need besides their own files.
LIB_SRC := $(CORE_SRC) $(LAUNCH_SRC) src/vault.c src/vault/mounts.c src/vault/proxy.c src/vault/leases.c src/vault/held.c \
	src/vault/session.c
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
HEADERS := $(wildcard src/*.h src/*/*.h)

UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/obj/tests/%.o)

.PHONY: all test test-live run-tests unit-test demo run-demo bench run-bench fuzz asan valgrind install uninstall clean deps

all: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) -c $< -o $@

$(BUILD)/libvaultshim-core.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The command is a libc-only front (exec runs there: no libcurl on a launch)
# and vaultshim-client.so, which it loads for the commands that talk to
# Vault; building the one builds the other. -z defs on the front proves it
# needs libc alone.
FRONT_OBJ := $(BUILD)/obj/cli/vaultshim.o $(BUILD)/obj/cli/exec.o \
	$(CORE_SRC:src/%.c=$(BUILD)/obj/%.o) $(LAUNCH_SRC:src/%.c=$(BUILD)/obj/%.o)
$(BUILD)/vaultshim: $(FRONT_OBJ) | $(BUILD)/vaultshim-client.so
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-z,defs $(FRONT_OBJ) -ldl -o $@

CLIENT_OBJ := $(BUILD)/obj/cli/client.o $(BUILD)/obj/cli/watch.o $(BUILD)/obj/cli/hold.o $(BUILD)/obj/migrate.o
$(BUILD)/vaultshim-client.so: $(CLIENT_OBJ) $(BUILD)/libvaultshim-core.a src/cli/client.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-z,defs -Wl,--version-script=src/cli/client.map \
		$(CLIENT_OBJ) $(BUILD)/libvaultshim-core.a $(DEPS_LIBS) -pthread -o $@

# The preload: hooks plus the network-free core; -z defs proves it needs
# nothing but libc (no libcurl, cJSON or OpenSSL in the host process).
CORE_OBJ := $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
PRELOAD_SRC := $(wildcard preload/*.c)
PRELOAD_OBJ := $(PRELOAD_SRC:preload/%.c=$(BUILD)/obj/preload/%.o)
$(BUILD)/obj/preload/%.o: preload/%.c preload/preload.h $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fvisibility=hidden -Isrc -c $< -o $@

# It is mapped into every process started under it, so it links for start-up
# cost: lazy binding (no -z now: most of its imports serve only a resolution
# that many processes never make) and two LOAD segments instead of four
# (-z noseparate-code: fewer mmap calls per process). Measured with
# tests/bench/run, /bin/true: 1.15x -> 1.12x of its time without the preload.
PRELOAD_LDFLAGS := -Wl,-z,relro -Wl,-z,noseparate-code
$(BUILD)/libvaultshim.so: $(PRELOAD_OBJ) $(CORE_OBJ) preload/vaultshim.map
	$(CC) $(CFLAGS) $(PRELOAD_LDFLAGS) -shared -Wl,-z,defs -Wl,--version-script=preload/vaultshim.map \
		$(PRELOAD_OBJ) $(CORE_OBJ) -pthread -ldl -o $@

$(BUILD)/obj/tests/%.o: tests/unit/%.c $(HEADERS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) $(CHECK_CFLAGS) -Isrc -c $< -o $@

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libvaultshim-core.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(DEPS_LIBS) $(CHECK_LIBS) -o $@

# `make test` and `make demo` are the two set-up commands of a fresh machine:
# each installs what is missing (scripts/install-deps is idempotent and quick
# when everything is there), then builds in a sub-make that sees the new
# pkg-config flags.
test: deps
	$(MAKE) run-tests

demo: deps
	$(MAKE) run-demo

# Every suite; tests/run prints one "N passed, N failed" line at the end.
run-tests: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so $(BUILD)/unit-tests
	tests/run

run-demo: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so
	scripts/demo

# Benchmark figures as ratios against baselines measured in the same run.
bench: deps
	$(MAKE) run-bench

run-bench: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so
	tests/bench/run

# Against a real Vault: VAULT_ADDR and VAULT_TOKEN must point at one.
test-live: all
	tests/live/run

# Robustness: libFuzzer targets (clang) run for a bounded time each
# (FUZZ_SECONDS), the whole suite under AddressSanitizer + UBSan, and the
# Check suites under valgrind. Each script builds in its own directory.
fuzz: deps
	tests/fuzz/run

asan: deps
	tests/sanitize/asan

valgrind: deps
	tests/sanitize/valgrind

unit-test: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

deps:
	scripts/install-deps

# bin/ and lib/ side by side: the wrapper finds ../lib/libvaultshim.so and the
# preload finds its helper at ../bin/vaultshim, wherever PREFIX is.
install: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share/vaultshim
	install -m 0755 $(BUILD)/vaultshim $(DESTDIR)$(PREFIX)/bin/vaultshim
	install -d $(DESTDIR)$(PREFIX)/lib/vaultshim
	install -m 0644 $(BUILD)/vaultshim-client.so $(DESTDIR)$(PREFIX)/lib/vaultshim/vaultshim-client.so
	# vaultshim-exec: the launcher itself, by its name (scripts/vaultshim-exec
	# is the same for a source tree, a shell in front)
	ln -sf vaultshim $(DESTDIR)$(PREFIX)/bin/vaultshim-exec
	install -m 0755 $(BUILD)/libvaultshim.so $(DESTDIR)$(PREFIX)/lib/libvaultshim.so
	install -m 0755 scripts/vault-dev-server $(DESTDIR)$(PREFIX)/share/vaultshim/vault-dev-server
	install -d $(DESTDIR)$(PREFIX)/share/vaultshim/vaultdev
	install -m 0644 scripts/vaultdev/*.py $(DESTDIR)$(PREFIX)/share/vaultshim/vaultdev/
	cp -R scripts/examples $(DESTDIR)$(PREFIX)/share/vaultshim/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vaultshim $(DESTDIR)$(PREFIX)/bin/vaultshim-exec
	rm -f $(DESTDIR)$(PREFIX)/lib/libvaultshim.so
	rm -rf $(DESTDIR)$(PREFIX)/lib/vaultshim
	rm -rf $(DESTDIR)$(PREFIX)/share/vaultshim/vaultdev
	rm -rf $(DESTDIR)$(PREFIX)/share/vaultshim

clean:
	rm -rf $(BUILD)
