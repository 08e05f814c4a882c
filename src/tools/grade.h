/* grade.h - the grader behind `make exercise N`: builds, runs, and a grade card.
 *
 * Grading exercise N means building a few binaries from the participant's file
 * (see the "Grading" section of the Makefile), running each in its own process
 * group under a timeout, and turning what they report into one card line per
 * check listed in exercises/exercises.txt:
 *
 *     correct errors concurrent workers order
 *         the Criterion suites of the same names in tests/exercises/NN-name.c,
 *         read from Criterion's JSON report (grade_criterion.c)
 *     races   a ThreadSanitizer build of the driver in tests/grade/; the first
 *             race, trimmed to the participant's lines (grade_sanitizer.c)
 *     memory  an AddressSanitizer + LeakSanitizer + UBSan build of the driver
 *     speedup an optimised build of the driver timing linear_run against the
 *             participant's style in the same run (informational)
 *
 * The parts are in separate files, each usable and tested on its own:
 *
 *     grade_proc.c       run a program: process group, timeout, output cap; a
 *                        participant's program contained and watched for progress
 *     grade_limits.c     its limits, its process tree (/proc), killing all of it
 *     grade_hang.c       where the threads of a hung program wait (gdb)
 *     grade_criterion.c  Criterion's JSON report -> one result per suite
 *     grade_sanitizer.c  TSan / ASan / LSan / UBSan reports -> one sentence
 *     grade_card.c       the card itself, as text
 *     grade_progress.c   .progress: which exercises passed
 *     grade.c            the steps of grading one exercise, in order
 *     grade_driver.h     the driver's exit statuses and report lines, shared
 *                        with tests/grade/
 */
#ifndef RETREAT_GRADE_H
#define RETREAT_GRADE_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "exercises.h"

#define GRADE_TEXT_MAX 1024
#define GRADE_OUTPUT_CAP (256u * 1024) /* bytes of a program's output kept */

/* --- Running a program (grade_proc.c) ---------------------------------------- */

/* Why a contained run was stopped early (see grade_limits.c, docs/LIMITS.md). */
enum grade_stop {
    GRADE_STOP_NONE,
    GRADE_STOP_TIMEOUT, /* the run's timeout passed while it was still busy */
    GRADE_STOP_STALL,   /* no progress for GRADE_STALL_S seconds: a hang */
    GRADE_STOP_SPIN,    /* busy, but nothing to show for GRADE_SPIN_S seconds: an endless loop */
    GRADE_STOP_MEMORY,  /* the tree's resident memory passed GRADE_LIMIT_RSS */
    GRADE_STOP_PROCS,   /* more than GRADE_LIMIT_PROCS processes at once */
};

struct grade_proc {
    int status;     /* exit status if it exited, else -1 */
    int signal;     /* the signal that ended it, 0 if none (or if we killed it) */
    int timed_out;  /* 1 if we stopped it (stop says why) */
    double seconds; /* wall time */
    int timeout_s;  /* the timeout it ran under */
    char *output;   /* stdout and stderr interleaved, NUL-terminated (malloc'ed) */
    size_t len;     /* bytes in output */
    size_t dropped; /* bytes over the cap, read and thrown away */
    /* Contained runs only (grade_proc_run_contained): */
    enum grade_stop stop;       /* why it was stopped, GRADE_STOP_NONE if it ended */
    double stalled_s;           /* GRADE_STOP_STALL, _SPIN: seconds without progress */
    unsigned long long peak;    /* GRADE_STOP_MEMORY: bytes resident; _PROCS: processes */
    int survivors;              /* descendants still alive when it ended, then killed */
    char where[GRADE_TEXT_MAX]; /* GRADE_STOP_STALL, _SPIN: where each thread is, or "" */
};

/* Runs argv[0] (found on PATH) with argv, in its own process group, with
 * `env` ("NAME=value" strings, NULL-terminated, may be NULL) added to the
 * environment. Keeps the first `cap` bytes of its output, discards the rest
 * (it keeps reading, so a chatty program never blocks on a full pipe). After
 * timeout_s seconds the whole group gets SIGKILL: grandchildren too. Returns
 * -1 only if the program could not be started; how it ended is in *p. Free
 * with grade_proc_free(). For trusted programs (make, rm, gdb). */
int grade_proc_run(char *const argv[], char *const env[], int timeout_s, size_t cap,
                   struct grade_proc *p, struct err *err);

/* How to run a participant's program (grade_proc_run_contained). */
struct grade_run {
    char *const *argv;
    char *const *env;          /* extra "NAME=value" strings, or NULL */
    int timeout_s;             /* wall-clock limit, even when it keeps progressing */
    size_t cap;                /* bytes of output kept */
    int stall_s;               /* no progress this long is a hang; 0: never */
    int spin_s;                /* CPU used but nothing else (no output, no growth of
                                  progress_path, no process started or ended) this
                                  long is an endless loop; 0: never */
    int sanitized;             /* a sanitizer binary: no address-space limit */
    const char *progress_path; /* a file whose growth is progress (the run log), or NULL */
    const char *source;        /* the participant's file: a hang shows where its
                                  threads wait, in this file; NULL: no stacks */
};

/* Like grade_proc_run, contained (docs/LIMITS.md, "Graded programs"): the
 * grader becomes a child subreaper, the program gets resource limits
 * (grade_limits_apply), its whole tree - processes that called setsid()
 * included - is watched for memory, process count and progress, and killed
 * when it ends or is stopped; p->survivors counts what had to be killed.
 * When it stalls, the stacks of its threads are taken with gdb before it is
 * killed (grade_hang_where). */
int grade_proc_run_contained(const struct grade_run *r, struct grade_proc *p, struct err *err);

void grade_proc_free(struct grade_proc *p);

/* One sentence for a run that did not end with an exit status: "no progress
 * for 10 s (stopped after 10.4 s): a deadlock? thread 2 waits in ...",
 * "crashed: Segmentation fault", "stopped: your program used 2.1 GiB of
 * memory; the limit is 2 GiB". The time printed is the run's real time, the
 * limit the one it ran under (timeout_s only if p has none). Returns 0 (and
 * writes nothing) if it exited normally. */
int grade_proc_describe(const struct grade_proc *p, int timeout_s, char *buf, size_t cap);

/* --- Containment (grade_limits.c) ------------------------------------------------ */

#define GRADE_STALL_S 10             /* seconds without progress: a hang */
#define GRADE_STALL_CPU_MS 200       /* less CPU than this in GRADE_STALL_S: no progress */
#define GRADE_SPIN_S 25              /* seconds of CPU with nothing else to show: an endless loop */
#define GRADE_LIMIT_AS (4ull << 30)  /* address space of an unsanitized process */
#define GRADE_LIMIT_RSS (2ull << 30) /* resident memory of the whole tree */
#define GRADE_LIMIT_ALLOC_MB 2048    /* largest single malloc under a sanitizer */
#define GRADE_LIMIT_PROCS 64         /* processes of the tree at once */
#define GRADE_LIMIT_CPU_S 600        /* CPU seconds per process (RLIMIT_CPU) */
#define GRADE_LIMIT_FSIZE (256ull << 20) /* bytes per file written (RLIMIT_FSIZE) */
#define GRADE_LIMIT_NOFILE 1024          /* open files per process (RLIMIT_NOFILE) */

/* One process of the tree under watch. */
struct grade_tree_proc {
    int pid, ppid;
    char state;                   /* 'R', 'S', 'Z', ... from /proc/PID/stat */
    unsigned long long cpu_ticks; /* utime + stime + cutime + cstime */
    unsigned long long rss;       /* bytes */
};

/* Sets the resource limits of a graded process; called in the child between
 * fork and exec (only async-signal-safe calls). sanitized: leave the address
 * space alone (a sanitizer reserves terabytes of shadow). */
void grade_limits_apply(int sanitized);

/* Every living descendant of `root` (zombies included), from /proc. Returns
 * how many, at most `max` written into list. */
size_t grade_tree_list(int root, struct grade_tree_proc *list, size_t max);

/* SIGKILLs every descendant of root, reaps those that are root's children
 * (the grader is a subreaper, so orphans are), and repeats until none is
 * left or about two seconds passed. Returns how many processes it killed,
 * each counted once. */
int grade_tree_kill(int root);

/* From a sanitizer report: "your program asked for 10 GiB at once (in
 * worker() at pool.c:29); the limit is 2 GiB" when an allocation was over
 * GRADE_LIMIT_ALLOC_MB (allocation-size-too-big). Returns 1 if found. */
int grade_limits_alloc_parse(const char *report, const char *file, char *buf, size_t cap);

/* "10 GiB", "512 MiB", "4 KiB": sizes in words for the card. */
void grade_limits_size(unsigned long long bytes, char *buf, size_t cap);

/* --- Where a hung program waits (grade_hang.c) ----------------------------------- */

#define GRADE_HANG_MAX_PROCS 4 /* processes of a hung tree whose stacks are taken */
#define GRADE_GDB_TIMEOUT 30   /* seconds for one gdb attach */

/* Attaches gdb (batch mode) to process pid, takes the stack of every thread
 * and the owner of every mutex a thread waits for, and describes them,
 * trimmed to `file`: "thread 2 waits in pthread_mutex_lock at pool.c:25 for a
 * mutex held by thread 3; thread 3 waits in pthread_cond_wait at pool.c:40".
 * Returns the number of threads described (0: none is in `file`), -1 if gdb
 * could not be run (err says why). */
int grade_hang_where(int pid, const char *file, char *buf, size_t cap, struct err *err);

/* The parser behind it, for gdb's output of
 *   thread apply all bt        and     thread apply all -s x/3dw $rdi
 * (the second gives, for a thread blocked in the futex of a mutex, the
 * mutex's first three ints: __lock, __count, __owner on glibc x86-64). */
int grade_hang_describe(const char *gdb_output, const char *file, char *buf, size_t cap);

/* --- Criterion's JSON report (grade_criterion.c) ------------------------------ */

struct grade_suite {
    char name[64];
    int tests, passed, failed, errored;
    int timed_out;                /* tests that hit Criterion's --timeout */
    int crashed;                  /* tests that died of a signal */
    char failing_test[64];        /* the first failing test's name */
    char message[GRADE_TEXT_MAX]; /* its first failed assertion's message */
};

/* Parses the report written by a Criterion test binary run with --json=FILE.
 * Criterion 2.4 writes assertion messages without escaping quotes,
 * backslashes or tabs, so the text is first repaired line by line (only
 * inside "messages" arrays), then parsed with jansson. *suites is malloc'ed. */
int grade_criterion_parse(const char *json, struct grade_suite **suites, size_t *count,
                          struct err *err);

/* The suite called name, or NULL if the report has none. */
const struct grade_suite *grade_criterion_find(const struct grade_suite *suites, size_t count,
                                               const char *name);

/* --- Sanitizer reports (grade_sanitizer.c) ------------------------------------ */

/* Reads a ThreadSanitizer report. Returns the number of warnings in it; for
 * the first one writes into buf a sentence naming its kind and the two
 * accesses, each at its first frame in `file` (the participant's file) if
 * there is one: "data race: write in worker() at pool.c:42 (thread T2) and
 * earlier read in worker() at pool.c:40 (thread T1)". */
int grade_tsan_parse(const char *report, const char *file, char *buf, size_t cap);

/* Reads an AddressSanitizer / LeakSanitizer / UBSan report. Returns 1 and
 * writes a sentence into buf if it found an error or a leak, else 0:
 * "leak: 40 bytes allocated in worker() at pool.c:30 were never freed". */
int grade_asan_parse(const char *report, const char *file, char *buf, size_t cap);

/* --- The card (grade_card.c) ----------------------------------------------------- */

enum grade_mark {
    GRADE_PASS, /* ✓ */
    GRADE_FAIL, /* ✗ */
    GRADE_INFO, /* ·  informational: a figure, not a verdict */
    GRADE_SKIP, /* -  not run, and why */
};

struct grade_line {
    enum exercise_check check;
    enum grade_mark mark;
    char text[GRADE_TEXT_MAX]; /* what it found, in words that teach */
};

struct grade_card {
    const struct exercise *ex;
    char source[256];                 /* the graded file: exercises/05-pool/pool.c */
    int reference;                    /* 1 when grading the reference solution */
    char build_error[GRADE_TEXT_MAX]; /* non-empty if the file did not compile */
    struct grade_line lines[CHECK_COUNT];
    size_t count;
    char runlog[256]; /* where the run log was saved, or "" */
    char trace[256];  /* its Chrome Trace Event JSON (trace.h), or "" */
};

/* Adds a line for check to the card. */
void grade_card_add(struct grade_card *card, enum exercise_check check, enum grade_mark mark,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Turns a Criterion suite's result into the card line of its check. A NULL
 * suite means the report has no tests for it, which is a failure too. */
void grade_card_add_suite(struct grade_card *card, enum exercise_check check,
                          const struct grade_suite *suite, int timeout_s);

/* The card's "Next:" step, into buf: "fix 'races' first: it names pool.c:26"
 * when a races or memory line names a line of the graded file (that line is
 * usually the cause of the other failures too), else the first failed check.
 * Returns the check it points to, or CHECK_COUNT when nothing failed. */
enum exercise_check grade_card_next(const struct grade_card *card, char *buf, size_t cap);

/* Within this factor of the reference solution's time, yours is on par (the
 * rule of Stanford's CS149 graders). The speedup line stays information. */
#define GRADE_ON_PAR 1.2

/* The speedup line: yours against linear, and against the exercise's
 * reference solution timed in the same run (solution_s 0: not timed):
 * "1.80x the speed of linear on 2 cores (linear 1.20 s, yours 0.67 s, 6
 * images); on par with the reference solution (0.64 s, within 1.2x)".
 * noun is "images" or "URLs". */
void grade_speed_text(char *buf, size_t cap, double linear_s, double yours_s, double solution_s,
                      int cores, int items, const char *noun);

/* Number of lines marked GRADE_FAIL (a build error counts as one). */
int grade_card_failures(const struct grade_card *card);

/* Prints the card; colour only if asked (the caller checks isatty). */
void grade_card_print(FILE *out, const struct grade_card *card, int colour);

/* --- .progress (grade_progress.c) ------------------------------------------------- */

#define GRADE_PROGRESS_PATH ".progress"

/* Records the last grade of an exercise (passed or not) in the progress file,
 * rewriting it atomically (temporary file + rename). */
int grade_progress_record(const char *path, const struct exercise *ex, int passed, struct err *err);

/* Reads the progress file: passed[i] is -1 (never graded), 0 or 1 for
 * list[i]. A missing file means nothing was graded yet. */
int grade_progress_read(const char *path, const struct exercise *list, size_t count, int *passed,
                        struct err *err);

/* --- Grading one exercise (grade.c) ----------------------------------------------- */

struct grade_opts {
    const char *build; /* build folder, as passed to make's BUILD= ("build") */
    const char *dir;   /* "exercises" (the participant) or "solutions" */
    int quick;         /* small inputs for the driver: CI grades everything twice */
    int save_runlog;   /* save the run log into <build>/runs/ for the stream tool */
    FILE *steps;       /* one line per step while the participant waits; may be NULL */
};

/* Builds and runs everything exercise ex's checks need and fills the card.
 * Returns -1 only if grading itself could not happen (make missing, no
 * folder); a failing check is a result, in the card. */
int grade_exercise(const struct grade_opts *o, const struct exercise *ex, struct grade_card *card,
                   struct err *err);

/* `make exercise N REPEAT=runs [SEED=seed]` (grade_repeat.c): builds the
 * exercise's tests and runs them `runs` times, each with RETREAT_SEED set, so
 * that the tests' binary perturbs lock and condition variable calls with
 * seeded yields and sleeps (tests/exercises/support_perturb.c). Prints one
 * line per run to o->steps and "18/20 passed; replay a failure with make
 * exercise 5 SEED=1234". seed 0: a fresh starting seed. Returns 0 if every
 * run passed, 1 if not, -1 (err) if the tests could not be built or run. */
int grade_repeat(const struct grade_opts *o, const struct exercise *ex, int runs, unsigned seed,
                 struct err *err);

/* Builds, in one make run (-k -j2), every binary that grading the exercises
 * of list in each of dirs ("solutions", "exercises") needs: make keeps both
 * cores busy, and the gradings that follow find everything built. A broken
 * binary is not an error here; its grading will report it. */
int grade_build_all(const struct grade_opts *o, const struct exercise *list, size_t count,
                    const char *const *dirs, size_t ndirs, double *seconds, struct err *err);

#endif
