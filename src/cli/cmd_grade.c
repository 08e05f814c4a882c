/* cmd_grade.c - `retreat grade`: the grade card, hints, progress and CI's check.
 *
 * The Makefile's exercise targets are thin wrappers around this command:
 *
 *     make exercise 5      retreat grade 5
 *     make solution 5      retreat grade --solution 5
 *     make hint 5          retreat grade --hint 5
 *     make progress        retreat grade --progress
 *     make check-exercises retreat grade --check
 *     make reset 5, watch  use retreat grade --path 5 to find the file
 *
 * so that the number is checked, and the messages written, in one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "class_client.h"
#include "clock.h"
#include "commands.h"
#include "grade.h"

static int usage(FILE *out)
{
    fprintf(out,
            "usage: retreat grade [--build DIR] [--solution] N   grade exercise N (5, 05 or pool)\n"
            "       retreat grade [--build DIR] --dir DIR N     grade DIR/NN-name/ instead of\n"
            "                                                   exercises/ (a copy, a fixture)\n"
            "       retreat grade --repeat R [--seed S] N       the tests R times, locks\n"
            "                                                   and condition variables\n"
            "                                                   perturbed; --seed replays one\n"
            "       retreat grade --hint N                      the hint of exercise N\n"
            "       retreat grade --path N                      the file you edit for N\n"
            "       retreat grade --progress                    which exercises pass\n"
            "       retreat grade [--build DIR] --check         every solution passes, every\n"
            "                                                   untouched skeleton fails (CI)\n"
            "\nThe card is explained in docs/GRADING.md. Run from the top of the tree.\n");
    return out == stdout ? 0 : 2;
}

static const struct exercise *lookup(const struct exercise *list, size_t count, const char *key)
{
    const struct exercise *ex = exercises_find(list, count, key);
    if (ex == NULL)
        fprintf(stderr,
                "retreat: no exercise '%s' in %s; give a number from %02d to %02d or a name "
                "(`make progress` lists them)\n",
                key, EXERCISES_PATH, list[0].number, list[count - 1].number);
    return ex;
}

static int hint(const struct exercise *ex)
{
    char readme[256];
    snprintf(readme, sizeof readme, "exercises/%s/README.md", ex->id);
    printf("exercise %02d %s (you edit exercises/%s/%s)\n\n  hint: %s\n\n", ex->number, ex->name,
           ex->id, ex->file, ex->hint);
    if (access(readme, R_OK) == 0)
        printf("More in %s. Then: make exercise %d\n", readme, ex->number);
    else
        printf("The folder exercises/%s/ says more. Then: make exercise %d\n", ex->id, ex->number);
    return 0;
}

static int progress(const struct exercise *list, size_t count)
{
    int *passed = calloc(count, sizeof *passed);
    struct err err = {0};
    if (passed == NULL || grade_progress_read(GRADE_PROGRESS_PATH, list, count, passed, &err)) {
        fprintf(stderr, "retreat: %s\n", passed == NULL ? "out of memory" : err.msg);
        free(passed);
        return 1;
    }
    printf("progress (kept in %s; `make exercise N` updates it)\n\n", GRADE_PROGRESS_PATH);
    const struct exercise *next = NULL;
    int done = 0;
    for (size_t i = 0; i < count; i++) {
        static const char *const state[] = {"not graded yet", "last grade: some checks fail",
                                            "passed"};
        printf("  %s %02d %-14s %s\n",
               passed[i] == 1   ? "✓"
               : passed[i] == 0 ? "✗"
                                : "·",
               list[i].number, list[i].name, state[passed[i] + 1]);
        done += passed[i] == 1;
        if (next == NULL && passed[i] != 1)
            next = &list[i];
    }
    printf("\n  ✓ passed  ✗ failed  · not graded\n%d of %zu pass. ", done, count);
    if (next != NULL)
        printf("Next: make exercise %d (make hint %d for a hint)\n", next->number, next->number);
    else
        printf("All done: well played.\n");
    free(passed);
    return 0;
}

static int grade_one(const char *build, const char *dir, const struct exercise *ex)
{
    struct grade_opts o = {.build = build, .dir = dir, .save_runlog = 1, .steps = stdout};
    struct grade_card card;
    struct err err = {0};
    if (grade_exercise(&o, ex, &card, &err) != 0) {
        fprintf(stderr, "retreat: %s\n", err.msg);
        return 1;
    }
    /* Colour for a terminal, unless the convention of no-color.org says no. */
    grade_card_print(stdout, &card, isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);
    int passed = grade_card_failures(&card) == 0;
    /* Class mode: if the participant joined a class, the card goes there too
     * (one line after the card; never changes the grade). */
    if (strcmp(dir, "exercises") == 0)
        class_client_after_grade(&card, stdout);
    /* Progress is the participant's: only their own folder counts. */
    if (strcmp(dir, "exercises") == 0 &&
        grade_progress_record(GRADE_PROGRESS_PATH, ex, passed, &err) != 0)
        fprintf(stderr, "retreat: progress not saved: %s\n", err.msg);
    return passed ? 0 : 1;
}

/* REPEAT= / SEED=: the tests many times with perturbed schedules. */
static int grade_repeated(const char *build, const char *dir, const struct exercise *ex, int runs,
                          unsigned seed)
{
    struct grade_opts o = {.build = build, .dir = dir, .steps = stdout};
    struct err err = {0};
    int rc = grade_repeat(&o, ex, runs, seed, &err);
    if (rc < 0)
        fprintf(stderr, "retreat: %s\n", err.msg);
    return rc < 0 ? 1 : rc;
}

/* CI: the solution passes all its checks, the untouched skeleton fails at
 * least one - otherwise the exercise teaches nothing, or cannot be done. */
static int check(const char *build, const struct exercise *list, size_t count)
{
    printf("check-exercises: each solution must pass all its checks, each skeleton fail one\n");
    static const char *const dirs[] = {"solutions", "exercises"};
    struct grade_opts all = {.build = build};
    struct err err = {0};
    double seconds;
    printf("  building everything (make -k -j2) ...");
    fflush(stdout);
    if (grade_build_all(&all, list, count, dirs, 2, &seconds, &err) != 0)
        printf(" %s\n", err.msg);
    else
        printf(" %.1f s\n", seconds);
    int problems = 0;
    for (size_t i = 0; i < count; i++) {
        const struct exercise *ex = &list[i];
        uint64_t start = clock_now_ns();
        struct grade_card sol, skel;
        struct grade_opts o = {.build = build, .dir = "solutions", .quick = 1};
        char verdict[2 * GRADE_TEXT_MAX] = "";
        if (grade_exercise(&o, ex, &sol, &err) != 0) {
            snprintf(verdict, sizeof verdict, "solution: %s", err.msg);
        } else if (grade_card_failures(&sol) > 0) {
            grade_card_print(stdout, &sol, 0);
            snprintf(verdict, sizeof verdict, "the solution fails (card above)");
        }
        o.dir = "exercises";
        char fails[GRADE_TEXT_MAX] = "";
        if (grade_exercise(&o, ex, &skel, &err) != 0) {
            snprintf(verdict + strlen(verdict), sizeof verdict - strlen(verdict), "%sskeleton: %s",
                     verdict[0] ? "; " : "", err.msg);
        } else if (skel.build_error[0] != '\0') {
            snprintf(verdict + strlen(verdict), sizeof verdict - strlen(verdict),
                     "%sthe skeleton does not compile: %s", verdict[0] ? "; " : "",
                     skel.build_error);
        } else if (grade_card_failures(&skel) == 0) {
            snprintf(verdict + strlen(verdict), sizeof verdict - strlen(verdict),
                     "%sthe untouched skeleton passes every check", verdict[0] ? "; " : "");
        } else {
            for (size_t l = 0; l < skel.count; l++)
                if (skel.lines[l].mark == GRADE_FAIL)
                    snprintf(fails + strlen(fails), sizeof fails - strlen(fails), "%s%s",
                             fails[0] ? " " : "", exercises_check_name(skel.lines[l].check));
        }
        if (verdict[0] != '\0') {
            problems++;
            printf("  ✗ %s: %s (%.0f s)\n", ex->id, verdict, clock_seconds(start, clock_now_ns()));
        } else {
            printf("  ✓ %s: solution passes %zu checks; skeleton fails: %s (%.0f s)\n", ex->id,
                   sol.count, fails, clock_seconds(start, clock_now_ns()));
        }
        fflush(stdout);
    }
    printf("%s: %d of %zu exercises as they should be\n", problems ? "FAILED" : "ok",
           (int)count - problems, count);
    return problems ? 1 : 0;
}

int cmd_grade(int argc, char **argv)
{
    const char *build = "build", *key = NULL, *dir = NULL;
    int repeat = 0;    /* --repeat N: the tests N times, perturbed (grade_repeat.c) */
    unsigned seed = 0; /* --seed S: ... starting from this seed */
    enum { GRADE, SOLUTION, HINT, PATH, PROGRESS, CHECK } what = GRADE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--build") == 0 && i + 1 < argc)
            build = argv[++i];
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--solution") == 0)
            what = SOLUTION;
        else if (strcmp(argv[i], "--hint") == 0)
            what = HINT;
        else if (strcmp(argv[i], "--path") == 0)
            what = PATH;
        else if (strcmp(argv[i], "--progress") == 0)
            what = PROGRESS;
        else if (strcmp(argv[i], "--check") == 0)
            what = CHECK;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout);
        else if (argv[i][0] != '-' && key == NULL)
            key = argv[i];
        else
            return usage(stderr);
    }
    for (int i = 1; i < argc; i++)
        if ((strcmp(argv[i], "--repeat") == 0 && repeat < 1) ||
            (strcmp(argv[i], "--seed") == 0 && seed == 0)) {
            fprintf(stderr,
                    "retreat: %s wants a number from 1 on (REPEAT=20, or the SEED a "
                    "failed run printed)\n",
                    argv[i]);
            return 2;
        }
    int needs_key = what != PROGRESS && what != CHECK;
    if (needs_key != (key != NULL)) {
        if (needs_key)
            fprintf(stderr, "retreat: which exercise? e.g. `make exercise 5` or "
                            "`retreat grade 5`\n\n");
        return usage(stderr);
    }

    struct exercise *list;
    size_t count;
    struct err err = {0};
    if (exercises_load(EXERCISES_PATH, &list, &count, &err) != 0) {
        fprintf(stderr, "retreat: %s (run from the top of the retreat tree)\n", err.msg);
        return 1;
    }
    int rc = 2;
    const struct exercise *ex = key != NULL ? lookup(list, count, key) : NULL;
    const char *folder = dir != NULL ? dir : what == SOLUTION ? "solutions" : "exercises";
    if (what == PROGRESS)
        rc = progress(list, count);
    else if (what == CHECK)
        rc = check(build, list, count);
    else if (ex == NULL)
        rc = 2;
    else if (what == HINT)
        rc = hint(ex);
    else if (what == PATH)
        rc = printf("exercises/%s/%s\n", ex->id, ex->file) < 0;
    else if (repeat > 0 || seed != 0)
        rc = grade_repeated(build, folder, ex, repeat > 0 ? repeat : 1, seed);
    else
        rc = grade_one(build, folder, ex);
    free(list);
    return rc;
}
