# bulkhead — one GNU Makefile.
#   make            build ./bulkhead
#   make check      unit, golden, namespace and Docker tests, all under ASan+UBSan
#   make check-repeat N=5   the whole suite N times (default 5); stops at the first failing run
#   make deps       install the Debian packages the build and the tests need
#   make demo       three-tier demo in throwaway namespaces
#   make bench      benchmarks (ratios against a baseline in the same run)
#   make fuzz       libFuzzer harnesses (clang)
#   make SANITIZER=address,undefined   any build with sanitizers
PREFIX ?= /usr/local
VERSION ?= 0.1.0
CC ?= cc
V ?= 0
Q = $(if $(filter 1,$(V)),,@)

PKGS := libnftnl libmnl libnetfilter_log yaml-0.1 libuv jansson libmicrohttpd
# libcurl is not linked: the Docker source loads it when it starts (source/curl_dl.h)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libcurl 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wpointer-arith -Wundef -Wno-unused-parameter
CFLAGS ?= -O2 -g
BH_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -I. $(PKG_CFLAGS) -MMD -MP -DBH_VERSION='"$(VERSION)"'
LDLIBS := $(PKG_LIBS) -lm

ifneq ($(SANITIZER),)
BUILD ?= build/san
BH_CFLAGS += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZER)
CFLAGS := -O1 -g
else
BUILD ?= build/rel
endif

# Layers, each using only those below it: cmd -> agent -> source, log -> netlink -> policy -> lib
LAYERS := lib policy netlink log source agent cmd
LIB_SRC := $(sort $(filter-out cmd/main.c,$(wildcard $(LAYERS:%=%/*.c))))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/cmd/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=build/tools/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all check check-repeat unit deps demo bench fuzz clean install tools sanbuild
all: bulkhead

bulkhead: $(BUILD)/bulkhead
	$(Q)cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/bulkhead: $(LIB_OBJ) $(MAIN_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BH_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BH_CFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS) -lcmocka

# Test helpers are static so they run inside minimal container images too.
build/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -static -o $@ $<

build/bench/%: bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(BH_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

tools: $(TOOL_BIN)

# The test suite runs under AddressSanitizer + UndefinedBehaviorSanitizer.
sanbuild:
	$(Q)$(MAKE) --no-print-directory SANITIZER=address,undefined build/san/bulkhead $(UNIT_BIN:$(BUILD)/%=build/san/%)

check: deps-check bulkhead sanbuild tools
	$(Q)BULKHEAD=$(CURDIR)/build/san/bulkhead BH_UNIT_DIR=$(CURDIR)/build/san/tests \
		BH_TOOLS=$(CURDIR)/build/tools bash tests/run.sh

# Runs the whole suite N times in a row to catch tests that pass or fail by timing.
N ?= 5
check-repeat: deps-check bulkhead sanbuild tools
	$(Q)for i in $$(seq 1 $(N)); do \
		echo "== check-repeat: run $$i of $(N)"; \
		BULKHEAD=$(CURDIR)/build/san/bulkhead BH_UNIT_DIR=$(CURDIR)/build/san/tests \
			BH_TOOLS=$(CURDIR)/build/tools bash tests/run.sh || \
			{ echo "check-repeat: run $$i of $(N) failed ($$((i - 1)) passed before it)"; exit 1; }; \
	done; echo "check-repeat: all $(N) runs passed"

unit: sanbuild
	$(Q)BH_UNIT_DIR=$(CURDIR)/build/san/tests BH_ONLY=unit bash tests/run.sh

deps:
	$(Q)bash tests/deps.sh install

deps-check:
	$(Q)bash tests/deps.sh install

demo: bulkhead tools
	$(Q)bash examples/demo.sh

bench: bulkhead tools $(BENCH_BIN)
	$(Q)BULKHEAD=$(CURDIR)/bulkhead BH_TOOLS=$(CURDIR)/build/tools BH_BENCH=$(CURDIR)/build/bench bash bench/run.sh

fuzz:
	$(Q)bash tests/fuzz/build.sh

install: bulkhead
	install -D -m 0755 bulkhead $(DESTDIR)$(PREFIX)/sbin/bulkhead

# The Debian package, built by debhelper from a copy of the tracked files
# (so nothing built or left in this tree gets in): build/deb/bulkhead_$(VERSION)_amd64.deb
deb:
	$(Q)bash packaging/deb.sh $(VERSION)

# A container image of the package's files and the libraries they load,
# imported into the local Docker engine (no registry): bulkhead:$(VERSION)
image: deb
	$(Q)bash packaging/image.sh $(VERSION)

clean:
	rm -rf build bulkhead

-include $(shell find build -name '*.d' -type f -not -path 'build/deb/*' 2>/dev/null)
