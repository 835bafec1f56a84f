# vaultshim — see README.md. `make` builds build/vaultshim; `make test` installs the
# dependencies and runs every test, `make check` runs them without installing anything.
PREFIX ?= /usr/local
# Debian's package: LIBDIR=/usr/lib/$(DEB_HOST_MULTIARCH) (debian/rules).
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
DOCDIR ?= $(PREFIX)/share/doc/vaultshim
DESTDIR ?=
BUILD := build
# The one version string (VERSION): the commands, the man pages and the
# package take it from here; tests/integration/test_docs.sh holds them to it.
VERSION := $(shell cat VERSION)

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

# What the build needs lives in VS_* and is always applied; the user's
# CPPFLAGS, CFLAGS and LDFLAGS (empty by default; Debian's dpkg-buildflags in
# the package) come after it, so `make CFLAGS=-O0` adds to it and its last -O
# wins instead of dropping -std=c11, -fPIC and the hardening. OPT is the
# default optimisation (tests/sanitize/asan sets it: -O1 and the sanitizers).
OPT ?= -O2 -g
VS_CPPFLAGS := -DVS_VERSION='"$(VERSION)"' -DVS_LIBDIR='"$(LIBDIR)"' \
	-DVS_PKGLIBDIR='"$(LIBDIR)/vaultshim"' -DVS_BINDIR='"$(BINDIR)"'
# _FORTIFY_SOURCE works only in an optimised build (at -O0 glibc warns on
# every file, an error with -Werror): on unless the last -O is -O0 or there is
# none, and left to the user's flags when they define or undefine it.
VS_OPT_LEVEL := $(lastword $(filter -O%,$(OPT) $(CFLAGS)))
ifneq ($(filter-out -O0,$(VS_OPT_LEVEL)),)
ifeq ($(filter -D_FORTIFY_SOURCE% -U_FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),)
VS_CPPFLAGS += -D_FORTIFY_SOURCE=2
endif
endif
VS_CFLAGS := -std=c11 -fPIC -fstack-protector-strong $(WARN)
# full RELRO for the programs (the preload has its own, PRELOAD_LDFLAGS)
VS_LDFLAGS := -Wl,-z,relro -Wl,-z,now
# compile: ours, the user's after; link: the same C flags (-fsanitize=,
# -pthread) with the link flags
# -MMD -MP: each object's headers in a .d file beside it (included before
# `clean`); a first build has none and needs none, every object being new.
COMPILE = -MMD -MP $(VS_CPPFLAGS) $(CPPFLAGS) $(VS_CFLAGS) $(OPT) $(CFLAGS)
LINK_CFLAGS = $(VS_CFLAGS) $(OPT) $(CFLAGS)

# The layout is the dependency rule (docs/design.md, "Layout"): src/core/ is
# libc only and is compiled with no include path and no curl/cJSON flags, so
# a core file that includes anything outside src/core/ does not build; the
# preload sees src/core/ alone (-Isrc/core); src/vault/ and src/cli/ see all
# of src/ and name the folder they include from ("core/vs_config.h").
CORE_INC :=
PRELOAD_INC := -Isrc/core
SRC_INC := -Isrc
# The core the preload links (no network code, no launch planning).
CORE_SRC := $(addprefix src/core/,audit.c common.c config.c config_file.c dotenv.c log.c resolve.c secret.c wire.c snapshot.c)
# libc only too, but for the launcher alone: what a launch will run.
LAUNCH_SRC := src/core/target.c
# Everything the commands need besides their own files.
LIB_SRC := $(CORE_SRC) $(LAUNCH_SRC) $(wildcard src/vault/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)

UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/obj/tests/%.o)

# (man pages and completion: the block before `clean`)
.PHONY: all test check test-live unit-test demo run-demo bench run-bench fuzz asan valgrind install uninstall clean deps

all: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so man

# The install paths compiled into the programs (where each looks for the
# others last): the files that use them are rebuilt when BINDIR or LIBDIR
# change, so `make install PREFIX=/usr` after `make` installs no /usr/local.
PATHS := $(BUILD)/install-paths
ifneq ($(shell cat $(PATHS) 2>/dev/null),$(BINDIR) $(LIBDIR))
$(shell mkdir -p $(BUILD) && echo '$(BINDIR) $(LIBDIR)' > $(PATHS))
endif
$(BUILD)/obj/cli/exec.o $(BUILD)/obj/cli/vaultshim.o $(BUILD)/obj/preload/helper.o: $(PATHS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(COMPILE) $(SRC_INC) $(DEPS_CFLAGS) -c $< -o $@

# the core: no include path, no curl/cJSON flags (the more specific pattern
# wins over the one above)
$(BUILD)/obj/core/%.o: src/core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(COMPILE) $(CORE_INC) -c $< -o $@

# the files that use VS_VERSION (the commands' version, the User-Agent):
# rebuilt when VERSION changes, found by name so that none is forgotten
VERSION_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(shell grep -l VS_VERSION src/*/*.c))
$(VERSION_OBJ): VERSION

$(BUILD)/libvaultshim-core.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The command is a libc-only front (exec runs there: no libcurl on a launch)
# and vaultshim-client.so, which it loads for the commands that talk to
# Vault; building the one builds the other. -z defs on the front proves it
# needs libc alone.
FRONT_OBJ := $(BUILD)/obj/cli/vaultshim.o $(BUILD)/obj/cli/exec.o $(BUILD)/obj/cli/exec_log.o \
	$(CORE_SRC:src/%.c=$(BUILD)/obj/%.o) $(LAUNCH_SRC:src/%.c=$(BUILD)/obj/%.o)
$(BUILD)/vaultshim: $(FRONT_OBJ) | $(BUILD)/vaultshim-client.so
	$(CC) $(LINK_CFLAGS) $(VS_LDFLAGS) $(LDFLAGS) -Wl,-z,defs $(FRONT_OBJ) -ldl -o $@

CLIENT_OBJ := $(addprefix $(BUILD)/obj/cli/,client.o check.o get.o run.o resolve.o watch.o hold.o exec_log.o \
	migrate_cmd.o migrate.o migrate_conf.o) $(BUILD)/obj/core/safefile.o
$(BUILD)/vaultshim-client.so: $(CLIENT_OBJ) $(BUILD)/libvaultshim-core.a src/cli/client.map
	$(CC) $(LINK_CFLAGS) $(VS_LDFLAGS) $(LDFLAGS) -shared -Wl,-z,defs -Wl,--version-script=src/cli/client.map \
		$(CLIENT_OBJ) $(BUILD)/libvaultshim-core.a $(DEPS_LIBS) -pthread -o $@

# The preload: hooks plus the network-free core; -z defs proves it needs
# nothing but libc (no libcurl, cJSON or OpenSSL in the host process).
CORE_OBJ := $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
PRELOAD_SRC := $(wildcard preload/*.c)
PRELOAD_OBJ := $(PRELOAD_SRC:preload/%.c=$(BUILD)/obj/preload/%.o)
$(BUILD)/obj/preload/%.o: preload/%.c
	@mkdir -p $(dir $@)
	$(CC) $(COMPILE) $(PRELOAD_INC) -fvisibility=hidden -c $< -o $@

# It is mapped into every process started under it, so it links for start-up
# cost: lazy binding (no -z now: most of its imports serve only a resolution
# that many processes never make) and two LOAD segments instead of four
# (-z noseparate-code: fewer mmap calls per process). Measured with
# tests/bench/run, /bin/true: 1.15x -> 1.12x of its time without the preload.
# These come after the user's LDFLAGS, which it takes too (-L, -fuse-ld=,
# --build-id ...): -z lazy undoes a -z now there (dpkg-buildflags' hardening;
# debian/vaultshim.lintian-overrides says why).
PRELOAD_LDFLAGS := -Wl,-z,relro -Wl,-z,lazy -Wl,-z,noseparate-code
# A SONAME although nothing links it (it is named by path in LD_PRELOAD): a
# shared object in a public library directory carries one (Debian policy 8.1).
PRELOAD_LDFLAGS += -Wl,-soname,libvaultshim.so
$(BUILD)/libvaultshim.so: $(PRELOAD_OBJ) $(CORE_OBJ) preload/vaultshim.map
	$(CC) $(LINK_CFLAGS) $(LDFLAGS) $(PRELOAD_LDFLAGS) -shared -Wl,-z,defs -Wl,--version-script=preload/vaultshim.map \
		$(PRELOAD_OBJ) $(CORE_OBJ) -pthread -ldl -o $@

$(BUILD)/obj/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(COMPILE) $(SRC_INC) $(DEPS_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libvaultshim-core.a
	$(CC) $(LINK_CFLAGS) $(VS_LDFLAGS) $(LDFLAGS) $^ $(DEPS_LIBS) $(CHECK_LIBS) -o $@

# `make test` and `make demo` are the two set-up commands of a fresh machine:
# each installs what is missing (scripts/install-deps is idempotent and quick
# when everything is there), then builds in a sub-make that sees the new
# pkg-config flags. `make check` is the same tests without installing anything.
test: deps
	$(MAKE) check

demo: deps
	$(MAKE) run-demo

# Every suite; tests/run prints one "N passed, N failed" line at the end.
check: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so $(BUILD)/unit-tests
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

# The Debian package built in a copy of the tree, lintian, installed with apt,
# used from /usr against the dev server, purged (as root; CI runs it).
.PHONY: package-test
package-test: deps
	tests/package/run

unit-test: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

deps:
	scripts/install-deps

# bin/ and lib/ side by side: the wrapper finds ../lib/libvaultshim.so and the
# preload finds its helper at ../bin/vaultshim, wherever PREFIX is; another
# LIBDIR or BINDIR (/usr/lib/x86_64-linux-gnu) is found through the paths
# compiled in. The preload is mode 0644: it is loaded, never run.
install: $(BUILD)/vaultshim $(BUILD)/vaultshim-client.so $(BUILD)/libvaultshim.so
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/vaultshim $(DESTDIR)$(PREFIX)/share/vaultshim $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/vaultshim $(DESTDIR)$(BINDIR)/vaultshim
	install -m 0644 $(BUILD)/vaultshim-client.so $(DESTDIR)$(LIBDIR)/vaultshim/vaultshim-client.so
	# vaultshim-exec: the launcher itself, by its name (scripts/vaultshim-exec
	# is the same for a source tree, a shell in front)
	ln -sf vaultshim $(DESTDIR)$(BINDIR)/vaultshim-exec
	install -m 0644 $(BUILD)/libvaultshim.so $(DESTDIR)$(LIBDIR)/libvaultshim.so
	install -m 0755 scripts/vault-dev-server $(DESTDIR)$(PREFIX)/share/vaultshim/vault-dev-server
	install -d $(DESTDIR)$(PREFIX)/share/vaultshim/vaultdev
	install -m 0644 scripts/vaultdev/*.py $(DESTDIR)$(PREFIX)/share/vaultshim/vaultdev/
	cp -R scripts/examples $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vaultshim $(DESTDIR)$(BINDIR)/vaultshim-exec
	rm -f $(DESTDIR)$(LIBDIR)/libvaultshim.so
	rm -rf $(DESTDIR)$(LIBDIR)/vaultshim
	rm -rf $(DESTDIR)$(PREFIX)/share/vaultshim
	rm -rf $(DESTDIR)$(DOCDIR)

# Man pages (mdoc sources in man/) with the version and its release date
# substituted; the date is VERSION's entry in CHANGELOG.md, so a build is
# reproducible and a release without a changelog entry does not build.
.PHONY: man install-man install-completion uninstall-man
MAN_SRC := man/vaultshim.1 man/vaultshim-exec.1 man/vaultshim.conf.5
MAN_OUT := $(MAN_SRC:man/%=$(BUILD)/man/%)
MAN_DATE := $(shell LC_ALL=C date -d "$$(sed -n 's/^\#\# \[$(VERSION)\] - \([0-9-]*\).*/\1/p' CHANGELOG.md)" \
	'+%B %-d, %Y' 2>/dev/null)
man: $(MAN_OUT)

$(BUILD)/man/%: man/% VERSION CHANGELOG.md
	@mkdir -p $(dir $@)
	@test -n "$(MAN_DATE)" || { echo "CHANGELOG.md: no '## [$(VERSION)] - YYYY-MM-DD' entry for VERSION $(VERSION): add one" >&2; exit 1; }
	sed -e 's/@VERSION@/$(VERSION)/g' -e 's/@DATE@/$(MAN_DATE)/g' $< > $@

# install and uninstall take these as extra prerequisites (kept apart from
# their own rules above).
install: install-man install-completion
uninstall: uninstall-man

install-man: $(MAN_OUT)
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 $(BUILD)/man/vaultshim.1 $(BUILD)/man/vaultshim-exec.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(BUILD)/man/vaultshim.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/

# bash-completion loads a completion by the command's name: vaultshim-exec
# is a link to the same file.
install-completion:
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 scripts/completion/vaultshim $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vaultshim
	ln -sf vaultshim $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vaultshim-exec

uninstall-man:
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/vaultshim.1 $(DESTDIR)$(PREFIX)/share/man/man1/vaultshim-exec.1
	rm -f $(DESTDIR)$(PREFIX)/share/man/man5/vaultshim.conf.5
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vaultshim
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vaultshim-exec

# the headers each object was built from (-MMD -MP in COMPILE)
-include $(sort $(LIB_OBJ:.o=.d) $(FRONT_OBJ:.o=.d) $(CLIENT_OBJ:.o=.d) $(PRELOAD_OBJ:.o=.d) $(UNIT_OBJ:.o=.d))

clean:
	rm -rf $(BUILD)
