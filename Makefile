# clustersim: one flat Makefile. Warnings first, objects by layer, generated dependencies.
CC      ?= cc
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla -Werror
OPT     ?= -O2 -g
# Link-time optimisation: a request's path crosses files (request, station, the models), and
# inlining across them saves about an eighth of the instructions of `clustersim run`. `make LTO=`
# builds without it, as the sanitizer and fuzzing builds do.
LTO     ?= -flto=auto
PKGS    := gsl libcjson libxxhash libmd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(WARN) $(OPT) $(LTO) -D_GNU_SOURCE -DHAVE_INLINE -I. $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm
BUILD   ?= build
# make MPI=1: Open MPI's compiler wrapper, the MPI hand-out in sim/mpi.c, a build tree of its own.
ifeq ($(MPI),1)
CC      := mpicc
CFLAGS  += -DCLUSTERSIM_MPI
BUILD   := build-mpi
endif
PREFIX  ?= /usr/local

ifeq ($(V),1)
Q :=
else
Q := @
endif

SIM_SRC    := $(filter-out sim/main.c,$(wildcard sim/*.c))
MODEL_SRC  := $(wildcard models/*.c)
LIB_OBJ    := $(SIM_SRC:%.c=$(BUILD)/%.o) $(MODEL_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ   := $(BUILD)/sim/main.o
TEST_SRC   := $(wildcard tests/check_*.c)
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/runner.o $(BUILD)/tests/testutil.o
SUITES     := $(patsubst tests/check_%.c,%,$(TEST_SRC))
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: FORCE all deps check unit e2e bench asan fuzz valgrind demo plots install clean
all: bin/clustersim

deps:
	$(Q)MPI=$(MPI) sh scripts/deps.sh

ifeq ($(MPI),1)
$(MAIN_OBJ) $(LIB_OBJ): | deps
endif

# bin/clustersim is relinked when switching between the MPI and the plain build.
bin/.flavour: FORCE
	@mkdir -p $(dir $@)
	$(Q)echo "$(BUILD)" | cmp -s - $@ || echo "$(BUILD)" > $@

bin/clustersim: $(MAIN_OBJ) $(BUILD)/libclustersim.a bin/.flavour
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out bin/.flavour,$^) $(LDLIBS)

$(BUILD)/libclustersim.a: $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The test runner learns its suites from the file names: tests/check_X.c defines X_suite().
# Written on every make, but replaced only when the list changed (a deleted suite too).
$(BUILD)/tests/suites.h: FORCE
	@mkdir -p $(dir $@)
	$(Q)( for s in $(SUITES); do echo "SUITE($$s)"; done ) > $@.tmp && \
	  if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# Where an installed binary finds its gnuplot templates (see plots/README.md for the lookup).
$(BUILD)/sim/plot.o: CFLAGS += -DPLOTS_DIR='"$(PREFIX)/share/clustersim/plots"'

$(BUILD)/tests/runner.o: $(BUILD)/tests/suites.h
$(BUILD)/tests/runner.o: CFLAGS += -I$(BUILD)/tests
# Suites are found by name, not through a header; Check declares its own test functions.
$(BUILD)/tests/%.o: CFLAGS += -Wno-missing-prototypes $(shell pkg-config --cflags check)

$(BUILD)/tests/check_all: $(TEST_OBJ) $(BUILD)/libclustersim.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libclustersim.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# make check: install what is missing, build, run every Check suite and the end-to-end checks.
check: deps
	$(Q)$(MAKE) --no-print-directory unit e2e

unit: bin/clustersim $(BUILD)/tests/check_all
	$(Q)CK_FORK=$${CK_FORK:-yes} $(BUILD)/tests/check_all

e2e: bin/clustersim
	$(Q)sh tests/resume.sh bin/clustersim
	$(Q)sh tests/e2e.sh bin/clustersim

bench: deps
	$(Q)$(MAKE) --no-print-directory bin/clustersim $(BENCH_BIN)
	$(Q)sh bench/run.sh

# The sanitizer build lives in its own tree so that it never mixes with the optimised objects.
asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan LTO= OPT="-O1 -g -fno-omit-frame-pointer \
	  -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" build-asan/tests/check_all
	$(Q)CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/tests/check_all

# make fuzz: libFuzzer over the scenario loader for FUZZ_SECONDS, built by clang in its own
# tree; clang is installed here only, so that `make check` never needs it.
FUZZ_SECONDS ?= 120
FUZZ_PKGS    := clang libclang-rt-dev
fuzz: deps
	$(Q)sh scripts/deps.sh $(FUZZ_PKGS)
	$(Q)$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz LTO= OPT="-O1 -g -fno-omit-frame-pointer \
	  -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" build-fuzz/fuzz_scenario
	$(Q)sh tests/fuzz/run.sh build-fuzz/fuzz_scenario $(FUZZ_SECONDS)

$(BUILD)/fuzz_scenario: tests/fuzz/fuzz_scenario.c $(BUILD)/libclustersim.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.a,$^) $(LDLIBS)

# make valgrind: a shortened run of a representative scenario under memcheck (its spike event
# moved inside the minute).
valgrind: deps
	$(Q)$(MAKE) --no-print-directory bin/clustersim
	$(Q)valgrind -q --error-exitcode=1 --leak-check=full bin/clustersim run scenarios/web-db.json \
	  --set duration=60s --set 'events[0].at=45s' --out $(BUILD)/valgrind-out --no-plots --quiet

demo: deps
	$(Q)$(MAKE) --no-print-directory bin/clustersim
	$(Q)sh scripts/demo.sh

install: bin/clustersim
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/clustersim/plots $(DESTDIR)$(PREFIX)/share/clustersim/scenarios
	install -m 755 bin/clustersim $(DESTDIR)$(PREFIX)/bin/clustersim
	install -m 644 doc/clustersim.1 $(DESTDIR)$(PREFIX)/share/man/man1/clustersim.1
	if ls plots/*.gp >/dev/null 2>&1; then \
	  install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/clustersim/plots/; fi
	cp -R scenarios/. $(DESTDIR)$(PREFIX)/share/clustersim/scenarios/

clean:
	rm -rf build build-asan build-mpi build-fuzz bin bench.json

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
