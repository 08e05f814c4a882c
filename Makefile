# retreat - a C toolkit for live-streamed concurrency workshops.
#
#   make demo            the main job: every style on the workshop photos,
#                        rendered to demo.mp4
#   make stream          the same, live on Twitch (needs TWITCH_STREAM_KEY)
#   make test            everything CI checks
#   make exercise N      grade your file for exercise N (also: hint, reset,
#                        solution, progress, watch)
#   make deps            install the Debian packages the project needs
#
# Layout of build/ (all outputs; `make clean` removes it):
#   build/obj/...        objects, mirroring the source tree
#   build/libretreat-core.a   src/core/: the library
#   build/libretreat-tools.a  src/tools/: grader, comic server, stream
#   build/libsolutions.a      the reference solutions (the styles)
#   build/retreat        the command
#   build/tests/unit     the unit tests (Criterion)
#   build/grade/...      per-exercise test binaries (see "Grading" below)

BUILD    ?= build
CC       := gcc
# Image codecs: libturbojpeg (JPEG) and libpng (PNG), src/core/img_jpeg.c and
# src/core/img_png.c; stb reads the rest (BMP, TGA, GIF).
PKGS     := stb jansson libcurl libxml-2.0 libmicrohttpd libavcodec libavformat libavutil libswscale \
            libturbojpeg libpng
# Class mode (issue 12): the class server's store, and SHA-256 of the
# participants' tokens (gnutls, already pulled in by libmicrohttpd-dev).
PKGS     += sqlite3 gnutls
# Messages are truncated on purpose when they do not fit their buffers.
WARN     := -Wall -Wextra -Werror -Wno-format-truncation
# -O3: GCC 12 vectorizes the blur loops only at -O3.
OPT      ?= -O3
BASEFLAGS = -std=c11 -D_GNU_SOURCE -g $(OPT) -pthread -MMD -MP
CFLAGS   ?=
CPPFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread
TESTLIBS := $(shell pkg-config --libs criterion 2>/dev/null)

# --- Sources: four layers ---------------------------------------------------
# Each layer may use only itself and the layers it names (docs/ARCHITECTURE.md):
#   src/core/    the library: images, blur, run log, batch, fetch  -> libretreat-core.a
#   solutions/   the styles of the ladder (uses core)              -> libsolutions.a
#   src/tools/   grade, comics server, stream, ... (uses core)     -> libretreat-tools.a
#   src/cli/     the `retreat` command and the style tables (all)  -> libretreat-cli.a + build/retreat
# Each layer is compiled with the include paths of the layers it may use and
# no others, so an arrow back up does not even compile; `make check-layers`
# also reads the #include lines. The links need no --start-group: nothing
# points back up, so one pass, top layer first, resolves every symbol.
CORE_SRC  := $(wildcard src/core/*.c)
TOOLS_SRC := $(wildcard src/tools/*.c)
CLI_SRC   := $(wildcard src/cli/*.c)
# The command's main(); the rest of src/cli/ (the commands and the style
# tables) is also an archive, which the tests link.
MAIN_SRC  := src/cli/retreat.c
SOL_SRC   := $(wildcard solutions/*/*.c)
UNIT_SRC  := $(wildcard tests/unit/*.c)
LIB_SRC   := $(CORE_SRC) $(TOOLS_SRC)

CORE_INC  := -Isrc/core
SOL_INC   := $(CORE_INC) -Isolutions
TOOLS_INC := $(CORE_INC) -Isrc/tools
ALL_INC   := $(CORE_INC) -Isolutions -Isrc/tools -Isrc/cli
# $(call layer_inc,path): the include paths a source file is compiled with.
layer_inc = $(if $(filter src/core/%,$(1)),$(CORE_INC),$(if $(filter solutions/% exercises/%,$(1)),$(SOL_INC),$(if $(filter src/tools/%,$(1)),$(TOOLS_INC),$(ALL_INC))))

CORELIB  := $(BUILD)/libretreat-core.a
TOOLSLIB := $(BUILD)/libretreat-tools.a
CLILIB   := $(BUILD)/libretreat-cli.a
SOLLIB   := $(BUILD)/libsolutions.a
RETREAT  := $(BUILD)/retreat
UNIT     := $(BUILD)/tests/unit

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.DEFAULT_GOAL := all
.PHONY: all deps deps-build check-deps test unit demo stream clean format bench-tools \
        grader exercise solution hint progress reset watch check-exercises check-grader \
        join leave \
        fuzz fuzz-smoke test-asan test-tsan test-faults check-opencv check-browser check-layers \
        test-alloc

all: check-deps $(RETREAT)

# Say what is being built, not the whole command line (V=1 shows it).
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASEFLAGS) $(WARN) $(call layer_inc,$<) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# GCC's unroll-and-jam turns conv_plain()'s tap loop in src/core/blur.c into
# scalar code, about twice as slow as the plain vectorised loop.
$(BUILD)/obj/src/core/blur.o: CFLAGS += -fno-loop-unroll-and-jam

$(CORELIB): $(call obj,$(CORE_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(TOOLSLIB): $(call obj,$(TOOLS_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SOLLIB): $(call obj,$(SOL_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(CLILIB): $(call obj,$(filter-out $(MAIN_SRC),$(CLI_SRC)))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# $(call tree_libs,dir): the three archives of a build tree, top layer first:
# each archive is searched once, for what the ones before it left undefined.
tree_libs = $(1)/libretreat-cli.a $(1)/libretreat-tools.a $(1)/libsolutions.a $(1)/libretreat-core.a
LIBS      := $(call tree_libs,$(BUILD))
LINK_LIBS  = $(LIBS) $(LDLIBS)

$(RETREAT): $(call obj,$(MAIN_SRC)) $(LIBS)
	$(CC) $(BASEFLAGS) $(call obj,$(MAIN_SRC)) $(LINK_LIBS) -o $@

$(UNIT): $(call obj,$(UNIT_SRC)) $(LIBS)
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
# -Wno-psabi: GCC 12 notes that passing vector types (08-fast's v8f) changed
# ABI in GCC 4.6 - harmless inside one program, and noise on a first card.
SUPPORT_SRC := $(wildcard tests/exercises/support*.c)
GRADE_WARN  := -Wall -Wextra -Wno-psabi
$(call obj,$(SOL_SRC)) $(foreach t,tsan asan,$(patsubst %.c,$(BUILD)/$(t)/obj/%.o,$(SOL_SRC))): \
    CFLAGS += -Wno-psabi
# The tests' binary only (`retreat` is untouched) wraps three sets of calls:
# the run log's, so that the "concurrent" tests can hold a worker at a latch
# until a second one is inside the same step (tests/exercises/support_latch.h);
# libcurl's and pthread_create/join, so that the fetch READMEs' warnings are
# checked as the calls happen (tests/exercises/support_rules.h); and the
# locks and condition variables, perturbed when RETREAT_SEED is set
# (tests/exercises/support_perturb.c: make exercise N REPEAT=20, SEED=...).
SUPPORT_WRAP := -Wl,--wrap=runlog_begin,--wrap=runlog_end,--wrap=runlog_fail \
    -Wl,--wrap=curl_multi_add_handle,--wrap=curl_multi_remove_handle,--wrap=curl_multi_info_read \
    -Wl,--wrap=curl_share_cleanup,--wrap=fetch_xfer_done,--wrap=fetch_xfer_cleanup \
    -Wl,--wrap=pthread_create,--wrap=pthread_join \
    -Wl,--wrap=pthread_mutex_lock,--wrap=pthread_mutex_unlock,--wrap=pthread_cond_wait \
    -Wl,--wrap=pthread_cond_signal,--wrap=pthread_cond_broadcast

.SECONDEXPANSION:
$(BUILD)/grade/%/test: $$(wildcard $$*/*.c) tests/exercises/$$(notdir $$*).c \
                       $(call obj,$(SUPPORT_SRC)) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(GRADE_WARN) $(ALL_INC) $(CPPFLAGS) -Itests/exercises $(CFLAGS) \
	    $(filter %.c,$^) $(call obj,$(SUPPORT_SRC)) $(SUPPORT_WRAP) $(LINK_LIBS) $(TESTLIBS) -o $@

# The races, memory and speedup checks run a small driver (tests/grade/, see
# tests/grade/driver.h) instead of Criterion, which aborts under
# ThreadSanitizer and exits 0 despite leaks under AddressSanitizer. The driver
# is linked with the participant's file three ways; a sanitizer needs the
# library and the solutions built with it too, each in its own tree:
#   $(BUILD)/grade/<dir>/NN-name/races    -fsanitize=thread       ($(BUILD)/tsan/)
#   $(BUILD)/grade/<dir>/NN-name/memory   address + leak + UBSan  ($(BUILD)/asan/)
#   $(BUILD)/grade/<dir>/NN-name/speed    optimised, no sanitizer ($(BUILD)/)
DRIVER_SRC  := $(wildcard tests/grade/*.c)
# No target_clones/ifunc anywhere: their resolvers run before ThreadSanitizer
# is ready and crash every TSan binary at start-up.
TSAN_FLAGS  := -fsanitize=thread
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer

# $(call sanitized,tree,flags): objects and both libraries built with flags.
define sanitized
$(BUILD)/$(1)/obj/%.o: %.c
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  CC      $$< ($(1))")
	$$(Q)$$(CC) $$(BASEFLAGS) $(2) $$(WARN) $$(call layer_inc,$$<) $$(CPPFLAGS) $$(CFLAGS) -c $$< -o $$@
$(BUILD)/$(1)/libretreat-core.a: $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(CORE_SRC))
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/$(1)/libretreat-tools.a: $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(TOOLS_SRC))
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/$(1)/libretreat-cli.a: $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(filter-out $(MAIN_SRC),$(CLI_SRC)))
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/$(1)/libsolutions.a: $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(SOL_SRC))
	rm -f $$@ && ar rcs $$@ $$^
endef
$(eval $(call sanitized,tsan,$(TSAN_FLAGS)))
$(eval $(call sanitized,asan,$(ASAN_FLAGS)))

# The driver's own files are compiled once per tree, like the library; only
# the participant's file is compiled for each binary.
# $(call driver_objs,tree): the driver's objects in a tree.
driver_objs = $(patsubst %.c,$(1)/obj/%.o,$(DRIVER_SRC))
$(call driver_objs,$(BUILD)) $(call driver_objs,$(BUILD)/tsan) $(call driver_objs,$(BUILD)/asan): \
    tests/grade/driver.h src/tools/grade_driver.h

# $(call driver_link,flags,tree): the link line of a driver variant.
driver_link = $(CC) $(BASEFLAGS) $(1) $(GRADE_WARN) -Wno-format-truncation $(ALL_INC) $(CPPFLAGS) \
    -Itests/grade $(CFLAGS) $(filter %.c,$^) $(call driver_objs,$(2)) $(call tree_libs,$(2)) \
    $(LDLIBS) -o $@

$(BUILD)/grade/%/races: $$(wildcard $$*/*.c) $(call driver_objs,$(BUILD)/tsan) \
                        $(call tree_libs,$(BUILD)/tsan)
	@mkdir -p $(@D)
	$(call driver_link,$(TSAN_FLAGS),$(BUILD)/tsan)
$(BUILD)/grade/%/memory: $$(wildcard $$*/*.c) $(call driver_objs,$(BUILD)/asan) \
                         $(call tree_libs,$(BUILD)/asan)
	@mkdir -p $(@D)
	$(call driver_link,$(ASAN_FLAGS),$(BUILD)/asan)
# The speed driver also times the reference solution of the same exercise in
# the same run, for a fair speedup line. The participant's definition of, say,
# pool_run() wins the link, so the reference cannot come in under its own
# name: reference.o is its object with every global symbol renamed to
# grade_ref_<name> (chan_send too, for the pipeline), and its entry point
# (NN-some-name -> some_name_run) to grade_reference_run, which the driver
# declares weak (tests/grade/driver.h). An exercise without such an entry
# point (01 kernel) simply gets no reference time.
$(BUILD)/grade/%/reference.o: $(SOLLIB)
	@mkdir -p $(@D)
	$(Q)ref=$$(ls $(BUILD)/obj/solutions/$(notdir $*)/*.o) && \
	entry=$$(echo $(notdir $*) | sed 's/^[0-9]*-//; s/-/_/g')_run && \
	objcopy $$(nm --defined-only -g $$ref | awk -v e=$$entry \
	    '$$3 != e { print "--redefine-sym " $$3 "=grade_ref_" $$3 }') \
	    --redefine-sym $$entry=grade_reference_run $$ref $@
$(BUILD)/grade/%/speed: $$(wildcard $$*/*.c) $(call driver_objs,$(BUILD)) $(LIBS) \
                       $(BUILD)/grade/%/reference.o
	@mkdir -p $(@D)
	$(call driver_link,$(BUILD)/grade/$*/reference.o,$(BUILD))

# The first card must come fast (issue 10): everything a grading needs that
# does not depend on the participant's file - the sanitized libraries, the
# driver's objects, the tests' support - is built by a plain `make`, not by
# the first `make exercise N`. Added to `all` here, to keep it in this section.
GRADE_PREBUILT := $(foreach t,tsan asan,$(call tree_libs,$(BUILD)/$(t)) \
                      $(call driver_objs,$(BUILD)/$(t))) \
                  $(call driver_objs,$(BUILD)) $(call obj,$(SUPPORT_SRC))
all: $(GRADE_PREBUILT)

# The participant's commands. `make exercise 5` must work as typed, so the
# number is read from the second goal (or N=5) and given a rule that does
# nothing; `retreat grade` checks it and knows 5, 05 and pool alike.
GRADE_GOALS := exercise solution hint reset watch
ifneq ($(filter $(GRADE_GOALS),$(firstword $(MAKECMDGOALS))),)
N ?= $(word 2,$(MAKECMDGOALS))
ifneq ($(word 2,$(MAKECMDGOALS)),)
$(word 2,$(MAKECMDGOALS)): ; @:
endif
endif
GRADE := $(RETREAT) grade --build $(BUILD)
need_n = @[ -n "$(N)" ] || { echo "usage: make $@ N   (N: the exercise, e.g. 5; make progress lists them)"; exit 2; }

# Class mode (issue 12): `make join URL` must work as typed, like `make
# exercise N`: the URL is the second goal (or URL=...), given a rule that does
# nothing; its colons are escaped, or make would read them as a rule's colon.
ifeq ($(firstword $(MAKECMDGOALS)),join)
URL ?= $(word 2,$(MAKECMDGOALS))
ifneq ($(word 2,$(MAKECMDGOALS)),)
$(subst :,\:,$(word 2,$(MAKECMDGOALS))): ; @:
endif
endif

join: grader
	@[ -n "$(URL)" ] || { echo "usage: make join URL   (the URL that retreat class printed)"; exit 2; }
	@$(RETREAT) join $(if $(NAME),--name "$(NAME)") "$(URL)"

leave: grader
	@$(RETREAT) leave

# Quietly, so the participant sees the grader's steps and the card.
grader: check-deps
	@$(MAKE) --no-print-directory -s $(RETREAT)

# REPEAT=20 runs the tests twenty times with perturbed schedules instead of
# grading once, to catch a flaky bug; SEED=S replays one of those runs.
REPEAT_ARGS = $(if $(REPEAT),--repeat $(REPEAT)) $(if $(SEED),--seed $(SEED))

exercise: grader
	$(need_n)
	@$(GRADE) $(REPEAT_ARGS) $(N)

solution: grader
	$(need_n)
	@$(GRADE) $(REPEAT_ARGS) --solution $(N)

hint: grader
	$(need_n)
	@$(GRADE) --hint $(N)

progress: grader
	@$(GRADE) --progress

# Restores the skeleton as committed; the participant's version is kept in
# $(BUILD)/reset/ first, because a reset typed by mistake should cost nothing.
reset: grader
	$(need_n)
	@f=$$($(GRADE) --path $(N)) || exit 2; \
	if ! git ls-files --error-unmatch "$$f" >/dev/null 2>&1; then \
	    echo "retreat: $$f is not tracked by git, so there is no pristine skeleton to restore"; \
	    exit 1; \
	fi; \
	if git diff --quiet HEAD -- "$$f"; then \
	    echo "retreat: $$f is already the pristine skeleton"; exit 0; \
	fi; \
	mkdir -p $(BUILD)/reset && b=$(BUILD)/reset/$$(basename "$$f").$$(date +%s) && \
	cp "$$f" "$$b" && git checkout HEAD -- "$$f" && \
	echo "retreat: restored $$f to the skeleton; your version is in $$b"

# Grades, then waits for the file to be saved again. Editors often save by
# renaming a new file over the old one, hence moved_to and create as well.
# inotifywait waits at most 2 s at a time, and the loop ends as soon as make
# itself is gone (killed, not only interrupted): no inotifywait is left
# behind watching the folder (tests/grade/watch.sh).
watch: grader
	$(need_n)
	@command -v inotifywait >/dev/null || \
	    { echo "retreat: make watch needs inotifywait: apt-get install inotify-tools"; exit 1; }; \
	f=$$($(GRADE) --path $(N)) || exit 2; \
	d=$$(dirname "$$f"); b=$$(basename "$$f"); make_pid=$$PPID; \
	trap 'exit 130' INT TERM HUP; \
	while kill -0 $$make_pid 2>/dev/null; do \
	    $(GRADE) $(N); \
	    echo; echo "watching $$f: save it to grade again, Ctrl-C to stop"; \
	    while kill -0 $$make_pid 2>/dev/null; do \
	        e=$$(inotifywait -q -t 2 -e close_write -e moved_to -e create --format %f "$$d"); \
	        [ "$$e" = "$$b" ] && break; \
	    done; \
	done

# CI: every solution passes all its checks, every untouched skeleton fails one.
check-exercises: grader
	@$(GRADE) --check

# The grader's own end-to-end test: bugs planted in copies of the pool
# solution must each show up on the card (tests/grade/planted.sh), and
# `make watch` must leave no inotifywait behind (tests/grade/watch.sh).
check-grader: grader
	@tests/grade/planted.sh $(BUILD)
	@tests/grade/planted_evidence.sh $(BUILD)
	@tests/grade/watch.sh $(BUILD)

-include $(shell find $(BUILD)/tsan $(BUILD)/asan -name '*.d' 2>/dev/null)

# Small programs under tests/bench/ that the benchmark scripts drive.
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $< $(LINK_LIBS) -o $@
bench-tools: $(BENCH_BIN)

# --- Fuzzing -------------------------------------------------------------------
# Every parser of untrusted text has a libFuzzer target, tests/fuzz/fuzz_NAME.c,
# with a seed corpus in tests/fuzz/corpus/fuzz_NAME/ and maybe a dictionary,
# tests/fuzz/fuzz_NAME.dict. Targets are built with clang (libFuzzer is clang's)
# and ASan + UBSan, into $(BUILD)/fuzz/. Each links only the src/ files its
# parser needs (FUZZ_SRC_fuzz_NAME), so an unrelated half-written file
# elsewhere in src/ cannot break the fuzzers.
#   make fuzz                      build every target
#   make fuzz-smoke                run each for FUZZ_SECONDS (CI does this)
#   $(BUILD)/fuzz/fuzz_img -max_total_time=600 tests/fuzz/corpus/fuzz_img
FUZZ_CC      := clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
# stb_image is compiled from its header into the image target (tests/fuzz/stb.c)
# instead of linking Debian's -lstb, so the fuzzer sees coverage inside the
# decoder and ASan checks its memory accesses. libturbojpeg and libpng are
# linked from Debian as they are (LDLIBS), without coverage.
FUZZ_SRC_fuzz_img        := src/core/img.c src/core/img_jpeg.c src/core/img_png.c src/core/mem.c src/core/err.c \
                            tests/fuzz/stb.c
FUZZ_SRC_fuzz_runlog     := src/core/runlog.c src/core/runlog_stats.c src/core/clock.c src/core/err.c
FUZZ_SRC_fuzz_feed       := src/core/feed.c src/core/err.c
FUZZ_SRC_fuzz_feedlist   := src/core/feedlist.c src/core/feed.c src/core/err.c
FUZZ_SRC_fuzz_exercises  := src/tools/exercises.c src/core/args.c src/core/err.c
FUZZ_SRC_fuzz_fault      := src/tools/comicsrv_fault.c src/core/err.c
FUZZ_SRC_fuzz_criterion  := src/tools/grade_criterion.c src/core/err.c
FUZZ_SRC_fuzz_sanitizer  := src/tools/grade_sanitizer.c src/core/err.c
FUZZ_SRC_fuzz_hang       := src/tools/grade_hang.c src/tools/grade_limits.c src/tools/grade_proc.c \
                            src/core/clock.c src/core/err.c
FUZZ_SRC_fuzz_readstate  := src/tools/readstate.c src/core/xdg.c src/core/err.c
# Class mode (issue 12): the class server's upload checks.
FUZZ_SRC_fuzz_class_upload := src/tools/class_upload.c src/core/runlog.c src/core/clock.c \
                              src/tools/exercises.c src/core/args.c src/core/err.c
fuzz_obj = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (fuzz)")
	$(Q)$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -MMD -MP $(FUZZ_FLAGS) \
	    $(WARN) -Wno-unknown-warning-option $(ALL_INC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
# stb's own code is not ours to warn about: no -Werror for it. Two UBSan
# checks are off for it, pointer-overflow and nonnull-attribute: for a PNG
# whose first IDAT chunk is empty, stb 2.27 computes idata + 0 with idata
# NULL and memcpy()s 0 bytes there. Undefined in ISO C, harmless in fact
# (nothing is read or written; tests/fuzz/corpus/fuzz_img/empty_first_idat.png);
# every other check, and ASan, still applies to stb.
$(BUILD)/fuzz/obj/tests/fuzz/stb.o: tests/fuzz/stb.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (fuzz)")
	$(Q)$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 $(FUZZ_FLAGS) -fno-sanitize=pointer-overflow,nonnull-attribute \
	    $(ALL_INC) $(CPPFLAGS) -w -c $< -o $@

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $$(call fuzz_obj,$$(FUZZ_SRC_fuzz_$$*))
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ $(filter-out -lstb,$(LDLIBS)) -o $@

# Keep the objects: they are intermediate files of the pattern rule above.
.PRECIOUS: $(BUILD)/fuzz/obj/%.o

fuzz: $(FUZZ_BINS)

# Each target runs for FUZZ_SECONDS from its seeds, in a scratch copy of the
# corpus (new inputs stay out of the tree). A crash leaves its input in
# $(BUILD)/fuzz/crashes/ and fails the run; -rss_limit_mb catches an input that
# makes a parser allocate without bound. The last stats line is printed.
fuzz-smoke: fuzz
	@mkdir -p $(BUILD)/fuzz/crashes
	@set -e; for t in $(FUZZ_TARGETS); do \
	    work=$(BUILD)/fuzz/work/$$t; rm -rf $$work; mkdir -p $$work; \
	    cp tests/fuzz/corpus/$$t/* $$work/ 2>/dev/null || true; \
	    dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	    echo "fuzz-smoke: $$t for $(FUZZ_SECONDS) s"; \
	    if ! $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	            -timeout=10 -print_final_stats=1 $$dict \
	            -artifact_prefix=$(BUILD)/fuzz/crashes/$$t- $$work \
	            > $(BUILD)/fuzz/$$t.log 2>&1; then \
	        tail -n 60 $(BUILD)/fuzz/$$t.log; \
	        echo "fuzz-smoke: $$t FAILED; the input is in $(BUILD)/fuzz/crashes/"; exit 1; \
	    fi; \
	    grep -E '^#[0-9]+[[:space:]]+DONE' $(BUILD)/fuzz/$$t.log | tail -n 1; \
	    grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/$$t.log; \
	done

# --- Sanitizers ----------------------------------------------------------------
# The unit suite under AddressSanitizer + UBSan, and the threaded parts under
# ThreadSanitizer. Both reuse the sanitized trees of the Grading section
# ($(BUILD)/asan/, $(BUILD)/tsan/: the library and solutions built with
# ASAN_FLAGS / TSAN_FLAGS).
#
# test-asan: Criterion 2.4 exits 0 even when LeakSanitizer reports a leak, so
# the output is searched for every kind of sanitizer report by
# tests/asan/check_report.sh (which leaves out, and lists, the one leak of
# Criterion's own runner). That leak also makes LeakSanitizer end the runner
# with status 1, so the tests' verdict is read from Criterion's summary line.
# The unit tests spawn `retreat` from beside their own binary, so an ASan
# build of it goes there too, checked the same way.
ASAN_UNIT    := $(BUILD)/asan/tests/unit
ASAN_RETREAT := $(BUILD)/asan/retreat

$(ASAN_RETREAT): $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(MAIN_SRC)) $(call tree_libs,$(BUILD)/asan)
	$(CC) $(BASEFLAGS) $(ASAN_FLAGS) $(filter %.o,$^) $(call tree_libs,$(BUILD)/asan) $(LDLIBS) -o $@
$(ASAN_UNIT): $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(UNIT_SRC)) \
              $(call tree_libs,$(BUILD)/asan)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(ASAN_FLAGS) $(filter %.o,$^) $(call tree_libs,$(BUILD)/asan) \
	    $(LDLIBS) $(TESTLIBS) -o $@

# detect_leaks is on by default on x86-64 Linux; it is spelled out because
# catching leaks is the point.
test-asan: check-deps $(ASAN_UNIT) $(ASAN_RETREAT)
	@echo "test-asan: the unit tests under ASan + UBSan (log: $(BUILD)/asan/unit.log)"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(ASAN_UNIT) --jobs 2 > $(BUILD)/asan/unit.log 2>&1; rc=$$?; \
	grep -F 'Synthesis' $(BUILD)/asan/unit.log; \
	if ! tests/asan/check_report.sh $(BUILD)/asan/unit.log; then \
	    echo "test-asan: FAILED: a sanitizer report (above; all of it in $(BUILD)/asan/unit.log)"; \
	    exit 1; \
	fi; \
	grep -Eq 'Synthesis: Tested: [1-9][0-9]* \| Passing: [0-9]+ \| Failing: 0 \| Crashing: 0' \
	    $(BUILD)/asan/unit.log || \
	    { echo "test-asan: FAILED: unit tests failed (exit $$rc)"; exit 1; }; \
	echo "test-asan: passed, no sanitizer report"

# test-tsan: Criterion aborts under ThreadSanitizer, so a plain driver
# (tests/tsan/) exercises the threaded parts and exits non-zero on a failure;
# halt_on_error makes TSan stop at the first race, and the output is searched
# as well in case a report did not end the process.
TSAN_DRIVER := $(BUILD)/tsan/tsan_driver
TSAN_SRC    := $(wildcard tests/tsan/*.c)
# --wrap: tests/tsan/fail_passes.c makes chosen row passes fail (the faults part).
$(TSAN_DRIVER): $(TSAN_SRC) $(call tree_libs,$(BUILD)/tsan)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(TSAN_FLAGS) $(WARN) $(ALL_INC) $(CPPFLAGS) $(CFLAGS) $(TSAN_SRC) \
	    -Wl,--wrap=blur_rows_h,--wrap=blur_rows_v \
	    $(call tree_libs,$(BUILD)/tsan) $(LDLIBS) -o $@

test-tsan: check-deps $(TSAN_DRIVER)
	@echo "test-tsan: the threaded parts under ThreadSanitizer (log: $(BUILD)/tsan/driver.log)"
	@rm -rf $(BUILD)/tsan/work; TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	    $(TSAN_DRIVER) $(BUILD)/tsan/work > $(BUILD)/tsan/driver.log 2>&1; rc=$$?; \
	cat $(BUILD)/tsan/driver.log | grep -v '^  ' | tail -n 20; \
	if grep -q 'WARNING: ThreadSanitizer' $(BUILD)/tsan/driver.log; then \
	    grep -A 30 'WARNING: ThreadSanitizer' $(BUILD)/tsan/driver.log | head -n 60; \
	    echo "test-tsan: FAILED: a ThreadSanitizer report (all of it in $(BUILD)/tsan/driver.log)"; \
	    exit 1; \
	fi; \
	[ $$rc -eq 0 ] || { echo "test-tsan: FAILED: the driver exited with $$rc"; exit 1; }; \
	echo "test-tsan: passed, no ThreadSanitizer report"

# test-faults: `retreat` against a full disk, an unwritable folder and signals
# at random moments (tests/fault/*.sh; each takes the retreat binary).
FAULT_TESTS := $(wildcard tests/fault/*.sh)
test-faults: check-deps $(RETREAT)
	@failed=0; for t in $(FAULT_TESTS); do \
	    echo "test-faults: $$t"; \
	    $$t $(RETREAT) $(BUILD)/faults/$$(basename $$t .sh) || failed=$$((failed + 1)); \
	done; \
	[ $$failed -eq 0 ] || { echo "test-faults: $$failed script(s) FAILED"; exit 1; }

-include $(shell find $(BUILD)/fuzz -name '*.d' 2>/dev/null)

# --- Dependencies -------------------------------------------------------------
# Debian 12 packages, each with what needs it. `make deps` installs the
# missing ones; every other target first checks and names what is missing.
# gdb: the grader takes the stacks of a hung program with it (src/grade_hang.c).
DEBS := gcc make pkg-config \
        libstb-dev libjansson-dev libcriterion-dev libturbojpeg0-dev libpng-dev \
        libcurl4-openssl-dev libxml2-dev libmicrohttpd-dev \
        libavcodec-dev libavformat-dev libavutil-dev libswscale-dev \
        fonts-dejavu-core lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 gdb \
        libsqlite3-dev libgnutls28-dev
# Only the tests and tools need these: the OpenCV cross-check of the reference
# blur, ffprobe for the stream tests, nginx-rtmp as a loopback RTMP server,
# inotifywait for `make watch`, clang for the fuzzers.
# patch applies the planted mistakes (tests/grade/planted/*.patch).
TEST_DEBS := python3 python3-opencv ffmpeg nginx libnginx-mod-rtmp inotify-tools \
             clang libclang-rt-dev curl chromium patch

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
# demo: every blur style on the workshop photos (`retreat bench`), every fetch
# style against the local comic server, then the video of those runs: about a
# minute, every scene, in demo.mp4. The fetch runs are a bonus: if they fail,
# the video shows the blur runs alone.
# The workshop photos (eight camera-size photos from Debian's lomiri-wallpapers
# packages, in DEBS; docs/CREDITS.md) are listed once, in src/core/photos.c:
# `retreat bench` and `retreat stream` use them when named no other photos.
DEMO_RUNS    := $(BUILD)/runs/demo
DEMO_FETCH   := fetch-linear fetch-threads fetch-pool fetch-multi fetch-events
DEMO_COMICS  := 16
demo: deps-build
	@$(MAKE) --no-print-directory $(RETREAT)
	@rm -rf $(DEMO_RUNS) && mkdir -p $(DEMO_RUNS)
	$(RETREAT) bench --repeat 2 --run-log $(DEMO_RUNS)/blur.jsonl
	@$(RETREAT) serve --port 0 --count $(DEMO_COMICS) --latency 80 > $(DEMO_RUNS)/serve.txt 2>&1 & \
	pid=$$!; trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in 1 2 3 4 5 6 7 8 9 10; do grep -q '^serving' $(DEMO_RUNS)/serve.txt && break; sleep 0.3; done; \
	base=$$(sed -n 's|^serving .* at \(http://[^/]*\)/feeds.txt|\1|p' $(DEMO_RUNS)/serve.txt); \
	for i in $$(seq 0 $$(($(DEMO_COMICS) - 1))); do echo "$$base/feed/$$i.xml"; done > $(DEMO_RUNS)/urls.txt; \
	for s in $(DEMO_FETCH); do \
	    echo "$(RETREAT) fetch --style $$s ($(DEMO_COMICS) feeds)"; \
	    $(RETREAT) fetch --feeds --style $$s --urls $(DEMO_RUNS)/urls.txt \
	        --run-log $(DEMO_RUNS)/fetch.jsonl > /dev/null || \
	    { echo "retreat: the fetch runs failed; the video shows the blur runs only"; \
	      rm -f $(DEMO_RUNS)/fetch.jsonl; break; }; \
	done
	$(RETREAT) stream -o demo.mp4 --run-log $(DEMO_RUNS)/blur.jsonl \
	    $$(ls $(DEMO_RUNS)/fetch.jsonl 2>/dev/null)
	@echo "retreat: building what grading needs (GRADE_PREBUILT), so that the first 'make exercise N' is quick"
	@$(MAKE) --no-print-directory -s $(GRADE_PREBUILT)

# stream: goes live on Twitch with the blur styles running (retreat stream
# --live). The key is read from the environment or a file, never given on a
# command line (make's included), where `ps` shows it to every user:
#   export TWITCH_STREAM_KEY=live_...   then   make stream
#   make stream STREAM_KEY_FILE=$HOME/.config/retreat-twitch.key
# INGEST=rtmp://HOST/app picks another ingest server (see workshop/facilitator.md).
STREAM_KEY_FILE ?=
INGEST          ?=
stream: deps-build
	@$(MAKE) --no-print-directory $(RETREAT)
	@if [ -z "$$TWITCH_STREAM_KEY" ] && [ -z "$(STREAM_KEY_FILE)" ]; then \
	    echo "retreat: no stream key, so not going live."; \
	    echo "  1. copy your key from https://dashboard.twitch.tv/settings/stream"; \
	    echo "  2. either   export TWITCH_STREAM_KEY=live_...   in this shell"; \
	    echo "     or       save it in a file (chmod 600) and run"; \
	    echo "              make stream STREAM_KEY_FILE=path/to/file"; \
	    echo "  Never put the key itself on a command line: ps shows it to everyone."; \
	    echo "  To rehearse without Twitch: $(RETREAT) stream --live -o rehearsal.mp4"; \
	    exit 2; \
	fi
	$(RETREAT) stream --live --twitch \
	    $(if $(STREAM_KEY_FILE),--key-file $(STREAM_KEY_FILE)) \
	    $(if $(INGEST),--ingest $(INGEST))

# The reference blur against OpenCV (an independent implementation), a
# comic page opened by `retreat comics` loading in a real browser, and the
# class's projector page (`retreat class`) drawing three participants.
check-opencv: check-deps $(BUILD)/bench/blurtime
	/usr/bin/python3 tests/opencv_check.py --blurtime $(BUILD)/bench/blurtime

# --- Allocation-failure injection (issue 11, item 10) -------------------------
# tests/alloc/alloc_fail.c fails the 1st, 2nd, ... allocation of the image,
# feed, run-log and read-state paths until every one has been failed once;
# ASan and LeakSanitizer check each run. The linker's --wrap routes our code's
# (and the compiled-in stb_image's) malloc, calloc, realloc and strdup through
# its counter; libxml2 and jansson are hooked at run time. About 10 s.
ALLOC_SRC   := tests/alloc/alloc_fail.c src/core/img.c src/core/img_jpeg.c src/core/img_png.c src/core/mem.c \
               src/core/feed.c src/core/runlog.c src/core/runlog_stats.c src/tools/readstate.c src/core/xdg.c \
               src/core/clock.c src/core/err.c
ALLOC_BIN   := $(BUILD)/alloc/alloc_fail
ALLOC_FLAGS := -fsanitize=address -fno-omit-frame-pointer
ALLOC_WRAP  := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup

$(BUILD)/alloc/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (alloc)")
	$(Q)$(CC) $(BASEFLAGS) -O1 $(ALLOC_FLAGS) $(WARN) $(ALL_INC) $(CPPFLAGS) -c $< -o $@
$(BUILD)/alloc/obj/tests/fuzz/stb.o: tests/fuzz/stb.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (alloc)")
	$(Q)$(CC) $(BASEFLAGS) -O1 $(ALLOC_FLAGS) $(ALL_INC) $(CPPFLAGS) -w -c $< -o $@
$(ALLOC_BIN): $(patsubst %.c,$(BUILD)/alloc/obj/%.o,$(ALLOC_SRC) tests/fuzz/stb.c)
	$(CC) $(ALLOC_FLAGS) $^ $(ALLOC_WRAP) $(filter-out -lstb,$(LDLIBS)) -o $@

test-alloc: check-deps $(ALLOC_BIN)
	ASAN_OPTIONS=detect_leaks=1 $(ALLOC_BIN) tests/alloc

check-browser: check-deps $(RETREAT)
	tests/browser/comic_page.sh $(RETREAT)
	tests/browser/class_page.sh $(RETREAT)

# The layering rule (docs/ARCHITECTURE.md), read off the #include lines, and
# the check's own test: planted wrong arrows must be caught.
check-layers:
	@python3 tests/layers/check_layers.py
	@tests/layers/selftest.sh

# What `make test` runs, in order; it stops at the first step that fails.
TEST_STEPS := check-layers unit check-opencv check-browser check-exercises check-grader \
              test-asan test-tsan test-faults fuzz-smoke test-alloc

test: deps
	@for step in $(TEST_STEPS); do \
	    $(MAKE) --no-print-directory $$step || { echo "make test: step '$$step' failed"; exit 1; }; \
	done
	@echo "make test: $(words $(TEST_STEPS)) passed, 0 failed ($(TEST_STEPS))"

clean:
	rm -rf $(BUILD)

format:
	clang-format -i src/*/*.[ch] solutions/*.h solutions/*/*.c exercises/*/*.c tests/*/*.[ch]

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(BUILD)/alloc -name '*.d' 2>/dev/null)
