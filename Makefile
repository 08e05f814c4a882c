# retreat - a C toolkit for live-streamed concurrency workshops.
#
#   make demo            the main job: every style on the workshop photos
#   make test            everything CI checks
#   make exercise N      grade your file for exercise N (also: hint, reset,
#                        solution, progress, watch)
#   make deps            install the Debian packages the project needs
#
# Layout of build/ (all outputs; `make clean` removes it):
#   build/obj/...        objects, mirroring the source tree
#   build/libretreat.a   src/ without the command-line front end
#   build/libsolutions.a the reference solutions (the styles)
#   build/retreat        the command
#   build/tests/unit     the unit tests (Criterion)
#   build/grade/...      per-exercise test binaries (see "Grading" below)

BUILD    ?= build
CC       := gcc
PKGS     := stb jansson libcurl libxml-2.0 libmicrohttpd libavcodec libavformat libavutil libswscale
# Messages are truncated on purpose when they do not fit their buffers.
WARN     := -Wall -Wextra -Werror -Wno-format-truncation
OPT      ?= -O2
BASEFLAGS = -std=c11 -D_GNU_SOURCE -g $(OPT) -pthread -MMD -MP
CFLAGS   ?=
CPPFLAGS := -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread
TESTLIBS := $(shell pkg-config --libs criterion 2>/dev/null)

# --- Sources ----------------------------------------------------------------
# The command's front end is src/retreat.c and src/cmd_*.c; everything else in
# src/ is the library. Solutions are found by their folders.
CMD_SRC  := src/retreat.c $(wildcard src/cmd_*.c)
LIB_SRC  := $(filter-out $(CMD_SRC),$(wildcard src/*.c))
SOL_SRC  := $(wildcard solutions/*/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)

LIB      := $(BUILD)/libretreat.a
SOLLIB   := $(BUILD)/libsolutions.a
RETREAT  := $(BUILD)/retreat
UNIT     := $(BUILD)/tests/unit

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.DEFAULT_GOAL := all
.PHONY: all deps deps-build check-deps test unit demo clean format bench-tools

all: check-deps $(RETREAT)

# Say what is being built, not the whole command line (V=1 shows it).
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASEFLAGS) $(WARN) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SOLLIB): $(call obj,$(SOL_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The library and the solutions refer to each other (the style table names the
# solutions; the solutions call the library), hence the group.
LINK_LIBS = -Wl,--start-group $(SOLLIB) $(LIB) -Wl,--end-group $(LDLIBS)

$(RETREAT): $(call obj,$(CMD_SRC)) $(LIB) $(SOLLIB)
	$(CC) $(BASEFLAGS) $(call obj,$(CMD_SRC)) $(LINK_LIBS) -o $@

$(UNIT): $(call obj,$(UNIT_SRC)) $(LIB) $(SOLLIB)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(call obj,$(UNIT_SRC)) $(LINK_LIBS) $(TESTLIBS) -o $@

unit: check-deps $(UNIT) $(RETREAT)
	$(UNIT) --jobs 2

# --- Grading -------------------------------------------------------------------
# Exercise NN-name is graded by binaries built from three parts:
#   tests/exercises/NN-name.c   the Criterion tests, shared by both directions
#   <dir>/NN-name/*.c           the participant's file (dir = exercises) or the
#                               reference (dir = solutions)
#   tests/exercises/support.c   what the tests have in common
# linked before libsolutions.a, so that the participant's definition of, say,
# pool_run() is the one used, and the other solutions fill in the rest.
# Participants' code gets warnings but not -Werror: it is theirs to iterate on.
SUPPORT_SRC := $(wildcard tests/exercises/support*.c)

.SECONDEXPANSION:
$(BUILD)/grade/%/test: $$(wildcard $$*/*.c) tests/exercises/$$(notdir $$*).c \
                       $(call obj,$(SUPPORT_SRC)) $(LIB) $(SOLLIB)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) -Wall -Wextra $(CPPFLAGS) -Itests/exercises $(CFLAGS) \
	    $(filter %.c,$^) $(call obj,$(SUPPORT_SRC)) $(LINK_LIBS) $(TESTLIBS) -o $@

# Small programs under tests/bench/ that the benchmark scripts drive.
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB) $(SOLLIB)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $< $(LINK_LIBS) -o $@
bench-tools: $(BENCH_BIN)

# --- Dependencies -------------------------------------------------------------
# Debian 12 packages, each with what needs it. `make deps` installs the
# missing ones; every other target first checks and names what is missing.
DEBS := gcc make pkg-config \
        libstb-dev libjansson-dev libcriterion-dev \
        libcurl4-openssl-dev libxml2-dev libmicrohttpd-dev \
        libavcodec-dev libavformat-dev libavutil-dev libswscale-dev \
        fonts-dejavu-core
# Only the tests and tools need these: the OpenCV cross-check of the reference
# blur, ffprobe for the stream tests, nginx-rtmp as a loopback RTMP server,
# inotifywait for `make watch`, clang for the fuzzers.
TEST_DEBS := python3 python3-opencv ffmpeg nginx libnginx-mod-rtmp inotify-tools \
             clang libclang-rt-dev curl

missing_debs = $(shell for p in $(1); do \
    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

define install_debs
	@missing="$(call missing_debs,$(1))"; \
	if [ -n "$$missing" ]; then \
	    echo "retreat: installing Debian packages: $$missing"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing \
	    || { echo "retreat: could not install: $$missing (run as root or with sudo)"; exit 1; }; \
	fi
endef

deps:
	$(call install_debs,$(DEBS) $(TEST_DEBS))

deps-build:
	$(call install_debs,$(DEBS))

check-deps:
	@missing="$(call missing_debs,$(DEBS))"; \
	if [ -n "$$missing" ]; then \
	    echo "retreat: missing Debian packages: $$missing"; \
	    echo "         run 'make deps' (it uses apt-get, with sudo when not root)"; \
	    exit 1; \
	fi

# --- The two README commands ---------------------------------------------------
demo: deps-build
	@$(MAKE) --no-print-directory $(RETREAT)
	$(RETREAT) bench workshop/images/*.png workshop/images/*.jpg

test: deps
	@$(MAKE) --no-print-directory unit

clean:
	rm -rf $(BUILD)

format:
	clang-format -i src/*.[ch] solutions/*/*.c exercises/*/*.c tests/*/*.[ch]

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
