/* grade_repeat.c - `make exercise N REPEAT=20`: the tests, many times, with
 * perturbed schedules; see grade.h.
 *
 * A flaky bug - a lost update, a wake-up that comes before the wait - passes
 * most runs, and a participant who saw one green card believes it is fixed.
 * Here the exercise's Criterion tests run `runs` times, each with its own
 * RETREAT_SEED: the tests' binary then perturbs every lock and condition
 * variable call with seeded yields and short sleeps
 * (tests/exercises/support_perturb.c), which brings the bad interleavings
 * out far sooner. What the participant gets is a pass rate and, for a
 * failure, the seed that replays it (SEED=...).
 */
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define PATH_MAX_ 512
#define BUILD_TIMEOUT_S 600

/* The first failing suite of a run, as one line; 0 if every test passed. */
static int first_failure(const struct grade_suite *suites, size_t count, char *buf, size_t cap)
{
    for (size_t i = 0; i < count; i++) {
        const struct grade_suite *s = &suites[i];
        if (s->timed_out > 0)
            snprintf(buf, cap, "%s: %s: no result before the timeout (a deadlock?)", s->name,
                     s->failing_test);
        else if (s->crashed > 0)
            snprintf(buf, cap, "%s: %s crashed", s->name, s->failing_test);
        else if (s->failed > 0 || s->errored > 0)
            snprintf(buf, cap, "%s: %s: %s", s->name, s->failing_test, s->message);
        else
            continue;
        return 1;
    }
    return 0;
}

/* One run of the tests with seed; 1 if it passed, 0 if not (why in buf). */
static int run_once(const char *bin, const char *report, const struct exercise *ex, unsigned seed,
                    char *why, size_t cap)
{
    char json_arg[PATH_MAX_ + 16], timeout[16], seed_var[32];
    snprintf(json_arg, sizeof json_arg, "--json=%s", report);
    snprintf(timeout, sizeof timeout, "%d", ex->timeout);
    snprintf(seed_var, sizeof seed_var, "RETREAT_SEED=%u", seed);
    unlink(report);
    char *argv[] = {(char *)bin, json_arg, "--timeout", timeout, "--jobs", "1", NULL};
    char *env[] = {seed_var, NULL};
    struct grade_proc p;
    struct err err = {0};
    if (grade_proc_run(argv, env, ex->timeout + 10, GRADE_OUTPUT_CAP, &p, &err) != 0) {
        snprintf(why, cap, "%s", err.msg);
        return 0;
    }
    int passed = 0;
    if (grade_proc_describe(&p, ex->timeout, why, cap) == 0) {
        FILE *f = fopen(report, "r");
        char *json = NULL;
        long size = 0;
        if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 &&
            fseek(f, 0, SEEK_SET) == 0 && (json = malloc((size_t)size + 1)) != NULL &&
            fread(json, 1, (size_t)size, f) == (size_t)size) {
            json[size] = '\0';
            struct grade_suite *suites = NULL;
            size_t count = 0;
            if (grade_criterion_parse(json, &suites, &count, &err) != 0)
                snprintf(why, cap, "%s", err.msg);
            else
                passed = !first_failure(suites, count, why, cap);
            free(suites);
        } else {
            snprintf(why, cap, "the tests wrote no report (exit status %d)", p.status);
        }
        free(json);
        if (f != NULL)
            fclose(f);
    }
    grade_proc_free(&p);
    return passed;
}

int grade_repeat(const struct grade_opts *o, const struct exercise *ex, int runs, unsigned seed,
                 struct err *err)
{
    FILE *out = o->steps != NULL ? o->steps : stdout;
    char dir[PATH_MAX_], bin[PATH_MAX_ + 8], report[PATH_MAX_ + 24], build_var[PATH_MAX_ + 8];
    snprintf(dir, sizeof dir, "%s/grade/%s/%s", o->build, o->dir, ex->id);
    snprintf(bin, sizeof bin, "%s/test", dir);
    snprintf(report, sizeof report, "%s/repeat.json", dir);
    snprintf(build_var, sizeof build_var, "BUILD=%s", o->build);

    /* make's flags from `make exercise` would confuse this second make. */
    char *make[] = {"make", "-s", "--no-print-directory", "-j2", build_var, bin, NULL};
    char *make_env[] = {"MAKEFLAGS=", "MFLAGS=", NULL};
    struct grade_proc p;
    fprintf(out, "  building the tests ...");
    fflush(out);
    if (grade_proc_run(make, make_env, BUILD_TIMEOUT_S, GRADE_OUTPUT_CAP, &p, err) != 0)
        return -1;
    int built = p.status == 0;
    fprintf(out, " %.1f s\n", p.seconds);
    grade_proc_free(&p);
    const char *again = strcmp(o->dir, "solutions") == 0 ? "make solution" : "make exercise";
    if (!built) {
        fprintf(out, "the tests do not build: `%s %d` shows why\n", again, ex->number);
        return 1;
    }

    /* No seed given: start somewhere new each time, with numbers short
     * enough to type. */
    unsigned first =
        seed != 0 ? seed : 1 + (unsigned)((clock_now_ns() / 1000u) ^ (uint64_t)getpid()) % 999999u;
    fprintf(out,
            "running the tests of exercise %02d %d time%s, locks and condition variables "
            "perturbed (seeded yields and sleeps)\n",
            ex->number, runs, runs == 1 ? "" : "s");
    int passed = 0;
    unsigned failed_seed = 0;
    for (int k = 0; k < runs; k++) {
        unsigned s = first + (unsigned)k;
        if (s == 0)
            s = 1; /* 0 means "not perturbed" to the tests */
        char why[GRADE_TEXT_MAX];
        fprintf(out, "  run %2d/%d  seed %-7u", k + 1, runs, s);
        fflush(out);
        if (run_once(bin, report, ex, s, why, sizeof why)) {
            passed++;
            fprintf(out, " ✓\n");
        } else {
            if (failed_seed == 0)
                failed_seed = s;
            fprintf(out, " ✗ %.300s\n", why);
        }
    }
    if (passed == runs)
        fprintf(out, "%d/%d passed.\n", passed, runs);
    else
        fprintf(out, "%d/%d passed; replay a failure with %s %d SEED=%u\n", passed, runs, again,
                ex->number, failed_seed);
    return passed == runs ? 0 : 1;
}
