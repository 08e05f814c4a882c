/* grade.c - the steps of grading one exercise; see grade.h.
 *
 * For exercise NN-name in DIR (exercises/ or solutions/), in order:
 *
 *   1. make BUILD/grade/DIR/NN-name/test     the Criterion tests, with the file
 *      run it with --json: one card line per suite (correct, errors, ...)
 *   2. make .../races    the driver under ThreadSanitizer     -> races
 *   3. make .../memory   the driver under ASan + LSan + UBSan -> memory
 *   4. make .../speed    the optimised driver, timed          -> speedup
 *
 * only the steps the exercise's checks need. The build is make's job - the
 * Makefile knows the flags - and the grader only asks for targets, so
 * `retreat grade` gives the same binaries as `make BUILD/grade/...` would.
 *
 * Every run of the participant's code is contained (grade_proc_run_contained:
 * limits, its whole process tree killed at the end) and watched for
 * progress: a deadlock is stopped after GRADE_STALL_S seconds without
 * progress, with the place where each thread waits, not after the
 * exercise's timeout. So the races and memory checks still run after a
 * hang - each stops on its own - and only the timing is skipped.
 *
 * A driver run's verdict is the first row of `verdicts` whose condition
 * holds; the driver's exit statuses are in grade_driver.h, shared with it.
 */
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grade_driver.h"
#include "runlog.h"
#include "trace.h"

#define PATH_LEN 1024
#define SANITIZER_LOG "sanitizer" /* log_path of the sanitizers: sanitizer.PID */
#define BUILD_TIMEOUT 900         /* seconds: the first build compiles the sanitizer libraries */
/* Once a step hung, the card already says so: a later run that keeps
 * computing (an endless loop, not a deadlock) is stopped after this long. */
#define AFTER_HANG_S 20

/* The binaries, in the order they are built and run, and the checks that
 * need each. The Criterion tests serve every check that is a suite. */
#define SUITE_CHECKS                                                                               \
    ((1u << CHECK_CORRECT) | (1u << CHECK_ERRORS) | (1u << CHECK_CONCURRENT) |                     \
     (1u << CHECK_WORKERS) | (1u << CHECK_ORDER))
static const struct {
    const char *name;          /* the make target's last part */
    const char *doing;         /* the step line shown while it builds */
    enum exercise_check check; /* the driver's check; CHECK_COUNT for the tests */
    unsigned needed_by;
} steps[] = {
    {"test", "building the tests", CHECK_COUNT, SUITE_CHECKS},
    {"races", "building with ThreadSanitizer", CHECK_RACES, 1u << CHECK_RACES},
    {"memory", "building with AddressSanitizer", CHECK_MEMORY, 1u << CHECK_MEMORY},
    {"speed", "building the timing driver", CHECK_SPEEDUP, 1u << CHECK_SPEEDUP},
};
#define STEPS (sizeof steps / sizeof steps[0])

/* What a driver wrote on its "grade:" lines (see tests/grade/driver.h). */
struct driver_out {
    int done, total;
    double reference_s, yours_s;
    double solution_s; /* the exercise's reference solution; 0: not timed */
    int cores;
    char error[GRADE_TEXT_MAX];
};

/* Starts a step's line; step_end() finishes it with the time it took. */
static void step_begin(const struct grade_opts *o, const char *fmt, ...)
{
    if (o->steps == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("  ", o->steps);
    vfprintf(o->steps, fmt, ap);
    va_end(ap);
    fputs(" ...", o->steps);
    fflush(o->steps);
}

static void step_end(const struct grade_opts *o, const struct grade_proc *p)
{
    if (o->steps != NULL)
        fprintf(o->steps, " %.1f s\n", p->seconds);
}

/* Asks make for one target. When `make exercise` runs us, its flags are in
 * the environment, jobserver included, and would confuse this second make:
 * they are cleared, and -j2 given. */
static int build(const struct grade_opts *o, const char *target, struct grade_proc *p,
                 struct err *err)
{
    char build_var[PATH_LEN + 8];
    snprintf(build_var, sizeof build_var, "BUILD=%s", o->build);
    char *argv[] = {"make", "-s", "--no-print-directory", "-j2", build_var, (char *)target, NULL};
    char *env[] = {"MAKEFLAGS=", "MFLAGS=", NULL};
    return grade_proc_run(argv, env, BUILD_TIMEOUT, GRADE_OUTPUT_CAP, p, err);
}

/* Whether a line of compiler output starts a new diagnostic. */
static int new_message(const char *line, size_t n)
{
    static const char *const kinds[] = {
        ": error:",      ": warning:",          ": note:",
        ": In function", "undefined reference", "multiple definition"};
    static const char *const starts[] = {"make", "/usr/bin/ld", "collect2"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (memmem(line, n, kinds[k], strlen(kinds[k])) != NULL)
            return 1;
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++)
        if (strncmp(line, starts[k], strlen(starts[k])) == 0)
            return 1;
    return 0;
}

/* The first compiler error with the lines after it (the source line and the
 * caret), or make's own complaint ("*** No rule to make target ..."). */
static void first_error(const char *output, char *buf, size_t cap)
{
    /* A link error comes with a useless "collect2: error: ld returned 1"
     * after the line that names the function: look for that line first. The
     * linker only runs if everything compiled, so the two never compete. */
    static const char *const marks[] = {"undefined reference to", "multiple definition of",
                                        "error:", "***"};
    const char *e = NULL;
    for (size_t m = 0; e == NULL && m < sizeof marks / sizeof marks[0]; m++)
        e = strstr(output, marks[m]);
    if (e == NULL)
        e = output;
    while (e > output && e[-1] != '\n')
        e--;
    size_t len = 0;
    for (int line = 0; line < 3 && *e != '\0' && len + 1 < cap; line++) {
        size_t n = strcspn(e, "\n");
        if (line > 0 && new_message(e, n))
            break; /* the first message is the one to fix */
        len += (size_t)snprintf(buf + len, cap - len, "%s%.*s", line > 0 ? "\n" : "", (int)n, e);
        e += n + (e[n] == '\n');
    }
    if (len == 0)
        snprintf(buf, cap, "the build failed without a message");

    /* The linker names files by absolute path: show them as typed. */
    char cwd[PATH_LEN];
    if (getcwd(cwd, sizeof cwd - 1) == NULL)
        return;
    strcat(cwd, "/");
    for (char *at; (at = strstr(buf, cwd)) != NULL;)
        memmove(at, at + strlen(cwd), strlen(at + strlen(cwd)) + 1);
}

/* Reads the "grade:" lines of a driver's report; a field it lacks stays -1
 * (counts) or 0 (times). */
static void read_driver(const char *output, struct driver_out *d)
{
    memset(d, 0, sizeof *d);
    d->done = d->total = -1;
    for (const char *l = strstr(output, "grade: "); l != NULL; l = strstr(l + 1, "grade: ")) {
        if (l != output && l[-1] != '\n')
            continue;
        if (sscanf(l, GRADE_DRIVER_DONE " %d of %d", &d->done, &d->total) == 2)
            continue;
        if (sscanf(l, GRADE_DRIVER_SOLUTION " %lf", &d->solution_s) == 1)
            continue;
        if (sscanf(l, GRADE_DRIVER_SPEED " %lf %lf %d", &d->reference_s, &d->yours_s, &d->cores) ==
            3)
            continue;
        size_t k = strlen(GRADE_DRIVER_ERROR " ");
        if (strncmp(l, GRADE_DRIVER_ERROR " ", k) == 0)
            snprintf(d->error, sizeof d->error, "%.*s", (int)strcspn(l + k, "\n"), l + k);
    }
}

/* Empties (by removing and re-creating) a driver's scratch folder. */
static int fresh_dir(const char *path, struct err *err)
{
    char *argv[] = {"rm", "-rf", (char *)path, NULL};
    struct grade_proc p;
    if (grade_proc_run(argv, NULL, 60, 4096, &p, err) != 0)
        return -1;
    int ok = p.status == 0;
    grade_proc_free(&p);
    if (!ok || mkdir(path, 0755) != 0)
        return err_set(err, "%s: cannot make a fresh folder (%s)", path, strerror(errno));
    return 0;
}

/* Step 1: the Criterion suites, one card line per suite check. */
static void run_tests(const struct grade_opts *o, const struct exercise *ex, const char *dir,
                      struct grade_card *card, int *hung)
{
    char bin[PATH_LEN], report[PATH_LEN + 16], json_arg[PATH_LEN + 32], timeout[16];
    snprintf(bin, sizeof bin, "%s/test", dir);
    snprintf(report, sizeof report, "%s/report.json", dir);
    snprintf(json_arg, sizeof json_arg, "--json=%s", report);
    snprintf(timeout, sizeof timeout, "%d", ex->timeout);
    unlink(report);

    /* One job: the concurrency checks time the runs, and a second test
     * running beside them on a two-core machine would blur the picture. */
    char *argv[] = {bin, json_arg, "--timeout", timeout, "--jobs", "1", NULL};
    struct grade_run run = {.argv = argv,
                            .timeout_s = ex->timeout + 10,
                            .cap = GRADE_OUTPUT_CAP,
                            .stall_s = GRADE_STALL_S,
                            .spin_s = GRADE_SPIN_S,
                            .source = card->source};
    struct grade_proc p;
    struct err err = {0};
    step_begin(o, "running the tests (Criterion)");
    int rc = grade_proc_run_contained(&run, &p, &err);
    step_end(o, &p);

    char problem[GRADE_TEXT_MAX] = "";
    struct grade_suite *suites = NULL;
    size_t count = 0;
    char *json = NULL;
    if (rc != 0) {
        snprintf(problem, sizeof problem, "%s", err.msg);
    } else if (grade_proc_describe(&p, ex->timeout + 10, problem, sizeof problem) > 0) {
        *hung = p.timed_out && p.stop != GRADE_STOP_MEMORY && p.stop != GRADE_STOP_PROCS;
    } else {
        FILE *f = fopen(report, "r");
        long size = 0;
        if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 &&
            fseek(f, 0, SEEK_SET) == 0 && (json = malloc((size_t)size + 1)) != NULL &&
            fread(json, 1, (size_t)size, f) == (size_t)size) {
            json[size] = '\0';
            if (grade_criterion_parse(json, &suites, &count, &err) != 0)
                snprintf(problem, sizeof problem, "%s", err.msg);
            /* A test Criterion stopped at its timeout is a hang too. */
            for (size_t i = 0; i < count; i++)
                *hung |= suites[i].timed_out > 0;
        } else {
            snprintf(problem, sizeof problem,
                     "the tests wrote no report (exit status %d); their output ends: %.200s",
                     p.status, p.len > 200 ? p.output + p.len - 200 : p.output);
        }
        if (f != NULL)
            fclose(f);
    }
    /* A problem of the whole run is said once, on the first suite's line:
     * the run was stopped there, and the other suites' results are unknown. */
    const char *first = NULL;
    for (int c = 0; c < CHECK_COUNT; c++) {
        if (!(ex->checks & (1u << c)) || c == CHECK_RACES || c == CHECK_MEMORY ||
            c == CHECK_SPEEDUP)
            continue;
        if (problem[0] != '\0' && first == NULL) {
            grade_card_add(card, (enum exercise_check)c, GRADE_FAIL, "%s", problem);
            first = exercises_check_name(c);
        } else if (problem[0] != '\0') {
            grade_card_add(card, (enum exercise_check)c, GRADE_SKIP,
                           "not known: the tests were stopped (see '%s')", first);
        } else {
            grade_card_add_suite(card, (enum exercise_check)c,
                                 grade_criterion_find(suites, count, exercises_check_name(c)),
                                 ex->timeout);
        }
    }
    free(json);
    free(suites);
    grade_proc_free(&p);
}

/* Everything in the files of folder dir whose names start with prefix
 * (a sanitizer writes one log per process: prefix.PID), at most
 * GRADE_OUTPUT_CAP bytes, malloc'ed; NULL if there is none. */
static char *read_work_file(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[2 * PATH_LEN];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        char *bigger = realloc(text, GRADE_OUTPUT_CAP + 1);
        if (bigger != NULL) {
            text = bigger;
            len += fread(text + len, 1, GRADE_OUTPUT_CAP - len, f);
            text[len] = '\0';
        }
        fclose(f);
    }
    closedir(d);
    return text;
}

/* Everything known about a driver run, for the verdict table. */
struct driver_run {
    enum exercise_check check;
    const struct grade_proc *p;
    const struct driver_out *d;
    const char *report;         /* the sanitizer's log, "" if none */
    const char *source;         /* the participant's file */
    const char *items;          /* what the driver's items are: "images", "URLs" */
    int correct_failed;         /* the card's 'correct' line failed (or was not run) */
    int tsan_warnings;          /* grade_tsan_parse's count */
    char found[GRADE_TEXT_MAX]; /* what the row's condition found, for its text */
};

/* The rows' conditions: each may fill r->found for the text. */
static int too_big(struct driver_run *r)
{
    return r->check != CHECK_SPEEDUP &&
           grade_limits_alloc_parse(r->report, r->source, r->found, sizeof r->found) > 0;
}
static int raced(struct driver_run *r)
{
    return r->check == CHECK_RACES &&
           (r->tsan_warnings = grade_tsan_parse(r->report, r->source, r->found, sizeof r->found)) >
               0;
}
static int memory_error(struct driver_run *r)
{
    return r->check == CHECK_MEMORY &&
           grade_asan_parse(r->report, r->source, r->found, sizeof r->found) > 0;
}
static int stopped(struct driver_run *r)
{
    /* The run knows its timeout, why it was stopped and how long it ran. */
    return grade_proc_describe(r->p, 0, r->found, sizeof r->found) > 0;
}
static int not_timed(struct driver_run *r)
{
    return r->check == CHECK_SPEEDUP && r->p->status == GRADE_DRIVER_INCOMPLETE;
}
static int incomplete(struct driver_run *r)
{
    return r->p->status == GRADE_DRIVER_INCOMPLETE;
}
static int driver_failed(struct driver_run *r)
{
    return r->p->status != GRADE_DRIVER_OK || r->d->total < 0;
}
static int left_running(struct driver_run *r)
{
    return r->p->survivors > 0;
}
static int unproven(struct driver_run *r)
{
    return r->check != CHECK_SPEEDUP && r->correct_failed;
}
static int clean(struct driver_run *r)
{
    return r->check != CHECK_SPEEDUP;
}
static int timed(struct driver_run *r)
{
    return r->d->yours_s > 0;
}
static int always(struct driver_run *r)
{
    (void)r;
    return 1;
}

/* The rows' texts. */
static void say_found(const struct driver_run *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", r->found);
}
static void say_race(const struct driver_run *r, char *buf, size_t cap)
{
    if (r->tsan_warnings > 1)
        snprintf(buf, cap, "%s (and %d more report%s)", r->found, r->tsan_warnings - 1,
                 r->tsan_warnings > 2 ? "s" : "");
    else
        snprintf(buf, cap, "%s", r->found);
}
static void say_not_timed(const struct driver_run *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "not timed: your code completed %d of %d items; make 'correct' pass first",
             r->d->done, r->d->total);
}
static void say_incomplete(const struct driver_run *r, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "not checked: your code completed %d of %d items, so there was little for the "
             "sanitizer to watch; make 'correct' pass first",
             r->d->done, r->d->total);
}
static void say_driver_failed(const struct driver_run *r, char *buf, size_t cap)
{
    /* No verdict: say what there is - the driver's error, else the first
     * line a sanitizer wrote (a FATAL start-up error), else the output. */
    const char *why = r->d->error[0] != '\0' ? r->d->error
                      : r->report[0] != '\0' ? r->report
                                             : r->p->output;
    why += strspn(why, "=\n");
    if (*why == '\0')
        why = "no message";
    snprintf(buf, cap, "the driver failed (exit status %d): %.*s", r->p->status,
             (int)strcspn(why, "\n"), why);
}
static void say_left_running(const struct driver_run *r, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "your program left %d process%s running after it returned (killed by the grader): "
             "wait for every child you start",
             r->p->survivors, r->p->survivors == 1 ? "" : "es");
}
static void say_unproven(const struct driver_run *r, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "no report, but not judged while 'correct' fails: %s may have watched code "
             "that does nothing",
             r->check == CHECK_RACES ? "ThreadSanitizer" : "AddressSanitizer");
}
static void say_clean(const struct driver_run *r, char *buf, size_t cap)
{
    if (r->check == CHECK_RACES)
        snprintf(buf, cap, "ThreadSanitizer saw no data race (%d %s)", r->d->total, r->items);
    else
        snprintf(buf, cap, "no memory error, no leak, no undefined behaviour (%d items)",
                 r->d->total);
}
static void say_speed(const struct driver_run *r, char *buf, size_t cap)
{
    const struct driver_out *d = r->d;
    grade_speed_text(buf, cap, d->reference_s, d->yours_s, d->solution_s, d->cores, d->total,
                     r->items);
}
static void say_no_timing(const struct driver_run *r, char *buf, size_t cap)
{
    (void)r;
    snprintf(buf, cap, "no timing came back from the driver");
}

/* A driver run's verdict: the first row whose condition holds. A report
 * comes before how the run ended (a sanitizer ends the run it reports on),
 * and a pass comes last. */
static const struct {
    int (*when)(struct driver_run *r);
    enum grade_mark mark;
    void (*say)(const struct driver_run *r, char *buf, size_t cap);
} verdicts[] = {
    {too_big, GRADE_FAIL, say_found},
    {raced, GRADE_FAIL, say_race},
    {memory_error, GRADE_FAIL, say_found},
    {stopped, GRADE_FAIL, say_found},
    {not_timed, GRADE_SKIP, say_not_timed},
    {incomplete, GRADE_FAIL, say_incomplete},
    {driver_failed, GRADE_FAIL, say_driver_failed},
    {left_running, GRADE_FAIL, say_left_running},
    {unproven, GRADE_SKIP, say_unproven},
    {clean, GRADE_PASS, say_clean},
    {timed, GRADE_INFO, say_speed},
    {always, GRADE_FAIL, say_no_timing},
};

/* Whether the card's 'correct' line is not a pass (or the exercise has none). */
static int correct_failed(const struct grade_card *card)
{
    for (size_t i = 0; i < card->count; i++)
        if (card->lines[i].check == CHECK_CORRECT)
            return card->lines[i].mark != GRADE_PASS;
    return 0;
}

/* A driver's command line and environment (see tests/grade/driver.h). */
struct driver_cmd {
    char *argv[8];
    char tsan[PATH_LEN + 160], asan[PATH_LEN + 160], ubsan[PATH_LEN + 64];
    char *env[4];
};

static void driver_command(const struct grade_opts *o, const struct exercise *ex, char *bin,
                           char *work, enum exercise_check check, const char *runlog_tmp,
                           struct driver_cmd *c)
{
    int n = 0;
    c->argv[n++] = bin;
    c->argv[n++] = check == CHECK_SPEEDUP ? "speed" : "run";
    c->argv[n++] = (char *)ex->id;
    c->argv[n++] = work;
    if (o->quick)
        c->argv[n++] = "--quick";
    if (runlog_tmp != NULL) {
        c->argv[n++] = "--log";
        c->argv[n++] = (char *)runlog_tmp;
    }
    c->argv[n] = NULL;
    /* Reports go to files in the work folder, not to the output: a
     * participant may print megabytes, more than the output cap keeps.
     * second_deadlock_stack: a lock-order report shows both acquisitions.
     * max_allocation_size_mb: a runaway malloc is refused and reported with
     * its size and place, instead of eating the machine's memory.
     * fast_unwind_on_malloc=0: libcurl has no frame pointers, and the fast
     * unwinder skips from curl_share_init() straight to the driver, losing
     * the participant's frame that made the leaked handle. */
    snprintf(c->tsan, sizeof c->tsan,
             "TSAN_OPTIONS=exitcode=%d second_deadlock_stack=1 max_allocation_size_mb=%d "
             "log_path=%s/%s",
             GRADE_DRIVER_TSAN_EXIT, GRADE_LIMIT_ALLOC_MB, work, SANITIZER_LOG);
    snprintf(c->asan, sizeof c->asan,
             "ASAN_OPTIONS=exitcode=%d detect_leaks=1 fast_unwind_on_malloc=0 "
             "max_allocation_size_mb=%d log_path=%s/%s",
             GRADE_DRIVER_ASAN_EXIT, GRADE_LIMIT_ALLOC_MB, work, SANITIZER_LOG);
    snprintf(c->ubsan, sizeof c->ubsan, "UBSAN_OPTIONS=print_stacktrace=1 log_path=%s/%s", work,
             SANITIZER_LOG);
    c->env[0] = c->tsan;
    c->env[1] = c->asan;
    c->env[2] = c->ubsan;
    c->env[3] = NULL;
}

/* The card line of a driver run: the first row of `verdicts` that holds. */
static void judge(struct driver_run *r, struct grade_card *card)
{
    for (size_t v = 0; v < sizeof verdicts / sizeof verdicts[0]; v++)
        if (verdicts[v].when(r)) {
            char text[GRADE_TEXT_MAX];
            verdicts[v].say(r, text, sizeof text);
            grade_card_add(card, r->check, verdicts[v].mark, "%s", text);
            return;
        }
}

/* Steps 2-4: a driver binary, for the races, memory or speedup check. */
static void run_driver(const struct grade_opts *o, const struct exercise *ex, const char *dir,
                       enum exercise_check check, const char *runlog_tmp, struct grade_card *card,
                       int *hung)
{
    static const char *const binary[CHECK_COUNT] = {
        [CHECK_RACES] = "races", [CHECK_MEMORY] = "memory", [CHECK_SPEEDUP] = "speed"};
    static const char *const what[CHECK_COUNT] = {
        [CHECK_RACES] = "running your code under ThreadSanitizer",
        [CHECK_MEMORY] = "running your code under AddressSanitizer",
        [CHECK_SPEEDUP] = "timing linear against yours"};
    char bin[PATH_LEN], work[PATH_LEN];
    snprintf(bin, sizeof bin, "%s/%s", dir, binary[check]);
    snprintf(work, sizeof work, "%s/work-%s", dir, binary[check]);
    struct err err = {0};
    if (fresh_dir(work, &err) != 0) {
        grade_card_add(card, check, GRADE_FAIL, "%s", err.msg);
        return;
    }
    struct driver_cmd cmd;
    driver_command(o, ex, bin, work, check, runlog_tmp, &cmd);

    step_begin(o, "%s", what[check]);
    struct grade_run run = {.argv = cmd.argv,
                            .env = cmd.env,
                            .timeout_s =
                                *hung && ex->timeout > AFTER_HANG_S ? AFTER_HANG_S : ex->timeout,
                            .cap = GRADE_OUTPUT_CAP,
                            .stall_s = GRADE_STALL_S,
                            .spin_s = GRADE_SPIN_S,
                            .sanitized = check != CHECK_SPEEDUP,
                            .progress_path = runlog_tmp,
                            .source = card->source};
    struct grade_proc p;
    if (grade_proc_run_contained(&run, &p, &err) != 0) {
        if (o->steps != NULL)
            fputs(" could not start\n", o->steps);
        grade_card_add(card, check, GRADE_FAIL, "%s", err.msg);
        return;
    }
    step_end(o, &p);
    *hung |= p.timed_out && p.stop != GRADE_STOP_MEMORY && p.stop != GRADE_STOP_PROCS;

    struct driver_out d;
    char *report = read_work_file(work, GRADE_DRIVER_REPORT);
    read_driver(report != NULL ? report : "", &d);
    free(report);
    report = read_work_file(work, SANITIZER_LOG);
    struct driver_run r = {.check = check,
                           .p = &p,
                           .d = &d,
                           .report = report != NULL ? report : "",
                           .source = card->source,
                           .items = strcmp(ex->track, "fetch") == 0 ? "URLs" : "images",
                           .correct_failed = correct_failed(card)};
    judge(&r, card);
    free(report);
    grade_proc_free(&p);
}

static int on_card(const struct grade_card *card, enum exercise_check check)
{
    for (size_t i = 0; i < card->count; i++)
        if (card->lines[i].check == check)
            return 1;
    return 0;
}

/* The run log ends with an end mark (runlog_mark_end): the exercise and the
 * card's verdict, so that the stream shows a finished run as finished, over
 * its own duration, with its verdict. */
static void mark_end(const char *path, const struct exercise *ex, const struct grade_card *card)
{
    int failed = grade_card_failures(card);
    char verdict[64];
    if (failed == 0)
        snprintf(verdict, sizeof verdict, "passed");
    else
        snprintf(verdict, sizeof verdict, "%d check%s failed", failed, failed == 1 ? "" : "s");
    struct runlog *log;
    struct err err;
    if (runlog_open(&log, path, &err) != 0)
        return; /* the log itself is still worth keeping */
    runlog_mark_end(log, ex->id, verdict, &err);
    runlog_close(log);
}

/* The run log goes under a temporary name first, then is renamed, so the
 * stream tool watching the folder never reads a half-written log. Its trace
 * (trace.h) goes beside it, for ui.perfetto.dev. */
static void keep_runlog(const char *tmp, const char *final, const struct exercise *ex,
                        struct grade_card *card)
{
    struct stat st;
    if (stat(tmp, &st) != 0 || st.st_size == 0) {
        unlink(tmp);
        return;
    }
    mark_end(tmp, ex, card);
    if (rename(tmp, final) != 0) {
        unlink(tmp);
        return;
    }
    snprintf(card->runlog, sizeof card->runlog, "%s", final);
    char trace[PATH_LEN];
    struct err err;
    if (trace_path_for(final, trace, sizeof trace, &err) == 0 &&
        trace_convert_file(final, trace, &err) == 0)
        snprintf(card->trace, sizeof card->trace, "%s", trace);
}

int grade_exercise(const struct grade_opts *o, const struct exercise *ex, struct grade_card *card,
                   struct err *err)
{
    memset(card, 0, sizeof *card);
    card->ex = ex;
    card->reference = strcmp(o->dir, "solutions") == 0;
    snprintf(card->source, sizeof card->source, "%s/%s/%s", o->dir, ex->id, ex->file);
    if (access(card->source, R_OK) != 0 && strcmp(o->dir, "exercises") != 0)
        return err_set(err, "%s: cannot read (%s)", card->source, strerror(errno));
    if (access(card->source, R_OK) != 0)
        return err_set(err, "%s: cannot read (%s); `make reset %d` restores the skeleton",
                       card->source, strerror(errno), ex->number);

    char tests[PATH_LEN];
    snprintf(tests, sizeof tests, "tests/exercises/%s.c", ex->id);
    if (access(tests, R_OK) != 0)
        return err_set(err, "%s: cannot read (%s): the tests of exercise %02d are missing", tests,
                       strerror(errno), ex->number);

    char dir[PATH_LEN];
    snprintf(dir, sizeof dir, "%s/grade/%s/%s", o->build, o->dir, ex->id);
    if (o->steps != NULL)
        fprintf(o->steps, "grading %s\n", card->source);

    char runlog_tmp[PATH_LEN] = "", runlog[PATH_LEN] = "";
    if (o->save_runlog) {
        char runs[PATH_LEN];
        snprintf(runs, sizeof runs, "%s/runs", o->build);
        if (mkdir(runs, 0755) != 0 && errno != EEXIST)
            return err_set(err, "%s: cannot create (%s)", runs, strerror(errno));
        long long now = (long long)time(NULL);
        snprintf(runlog, sizeof runlog, "%s/%s-%lld.jsonl", runs, ex->id, now);
        snprintf(runlog_tmp, sizeof runlog_tmp, "%s/.%s-%lld.jsonl.tmp", runs, ex->id, now);
    }
    /* The speed run's log shows real timing; without one, the memory run's. */
    enum exercise_check logged =
        (ex->checks & (1u << CHECK_SPEEDUP)) ? CHECK_SPEEDUP : CHECK_MEMORY;

    int hung = 0;
    for (size_t s = 0; s < STEPS; s++) {
        if (!(ex->checks & steps[s].needed_by))
            continue;
        if (hung && steps[s].check == CHECK_SPEEDUP) {
            /* A timing of code that hangs would only be another hang. */
            grade_card_add(card, steps[s].check, GRADE_SKIP,
                           "not timed: an earlier step hung; fix that first");
            continue;
        }
        char target[PATH_LEN + 16];
        snprintf(target, sizeof target, "%s/%s", dir, steps[s].name);
        struct grade_proc p;
        step_begin(o, "%s", steps[s].doing);
        if (build(o, target, &p, err) != 0)
            return err_prefix(err, "cannot run make: ");
        step_end(o, &p);
        if (p.status != 0 && card->build_error[0] == '\0')
            first_error(p.output, card->build_error, sizeof card->build_error);
        int built = p.status == 0;
        grade_proc_free(&p);
        if (!built) {
            /* The same file will not build any other way either. */
            for (int c = 0; c < CHECK_COUNT; c++)
                if ((ex->checks & (1u << c)) && !on_card(card, (enum exercise_check)c))
                    grade_card_add(card, (enum exercise_check)c, GRADE_SKIP,
                                   "not run: it does not build");
            break;
        }
        if (steps[s].check == CHECK_COUNT)
            run_tests(o, ex, dir, card, &hung);
        else
            run_driver(o, ex, dir, steps[s].check,
                       o->save_runlog && steps[s].check == logged ? runlog_tmp : NULL, card, &hung);
    }
    if (o->save_runlog)
        keep_runlog(runlog_tmp, runlog, ex, card);
    return 0;
}

int grade_build_all(const struct grade_opts *o, const struct exercise *list, size_t count,
                    const char *const *dirs, size_t ndirs, double *seconds, struct err *err)
{
    size_t max = 8 + count * ndirs * STEPS, n = 0;
    char **argv = calloc(max, sizeof *argv);
    char *targets = calloc(max, PATH_LEN);
    if (argv == NULL || targets == NULL) {
        free(argv);
        free(targets);
        return err_set(err, "build: out of memory");
    }
    char build_var[PATH_LEN + 8];
    snprintf(build_var, sizeof build_var, "BUILD=%s", o->build);
    char *fixed[] = {"make", "-s", "--no-print-directory", "-k", "-j2", build_var};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[n++] = fixed[i];
    for (size_t i = 0; i < count; i++)
        for (size_t d = 0; d < ndirs; d++)
            for (size_t s = 0; s < STEPS; s++)
                if (list[i].checks & steps[s].needed_by) {
                    char *t = targets + PATH_LEN * n;
                    snprintf(t, PATH_LEN, "%s/grade/%s/%s/%s", o->build, dirs[d], list[i].id,
                             steps[s].name);
                    argv[n++] = t;
                }
    argv[n] = NULL;

    char *env[] = {"MAKEFLAGS=", "MFLAGS=", NULL};
    struct grade_proc p;
    int rc = grade_proc_run(argv, env, BUILD_TIMEOUT * 2, GRADE_OUTPUT_CAP, &p, err);
    if (rc == 0) {
        *seconds = p.seconds;
        grade_proc_free(&p);
    }
    free(argv);
    free(targets);
    return rc;
}
