/* main.c - the grader's driver program; see driver.h for how it is used.
 *
 * Parses the command line, finds the exercise and its track's driver, makes
 * the run log if asked, and writes the "grade:" lines the grader reads into
 * WORK_DIR/report.txt - a file, not stdout, where a participant's printf
 * could bury them or split a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "grade_driver.h"

/* One row per track; see driver.h to add one. */
static const struct driver *const drivers[] = {&drive_blur, &drive_fetch, NULL};

static int drive(const char *mode, const char *id, const char *log_path, struct drive_opts *o,
                 FILE *report);

static int usage(void)
{
    fprintf(stderr, "usage: driver run|speed NN-name WORK_DIR [--quick] [--log RUNLOG]\n");
    return GRADE_DRIVER_FAILED;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    const char *mode = argv[1], *id = argv[2], *log_path = NULL;
    struct drive_opts o = {.work_dir = argv[3]};
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            o.quick = 1;
        else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
            log_path = argv[++i];
        else
            return usage();
    }
    if (strcmp(mode, "run") != 0 && strcmp(mode, "speed") != 0)
        return usage();

    char path[4096];
    snprintf(path, sizeof path, "%s/" GRADE_DRIVER_REPORT, o.work_dir);
    FILE *report = fopen(path, "w");
    if (report == NULL) {
        perror(path);
        return GRADE_DRIVER_FAILED;
    }
    int rc = drive(mode, id, log_path, &o, report);
    if (fclose(report) != 0) {
        perror(path);
        return GRADE_DRIVER_FAILED;
    }
    return rc;
}

/* Finds the exercise and its driver, runs it, reports. Returns the exit
 * status described in driver.h. */
static int drive(const char *mode, const char *id, const char *log_path, struct drive_opts *o,
                 FILE *report)
{
    struct err err = {0};
    struct exercise *list = NULL;
    size_t count = 0;
    if (exercises_load(EXERCISES_PATH, &list, &count, &err) != 0) {
        fprintf(report, GRADE_DRIVER_ERROR " %s\n", err.msg);
        return GRADE_DRIVER_FAILED;
    }
    o->ex = exercises_find(list, count, id);
    const struct driver *d = NULL;
    for (size_t i = 0; o->ex != NULL && drivers[i] != NULL; i++)
        if (strcmp(drivers[i]->track, o->ex->track) == 0)
            d = drivers[i];
    if (d == NULL) {
        fprintf(report, GRADE_DRIVER_ERROR " %s: %s\n", id,
                o->ex == NULL ? "no such exercise in " EXERCISES_PATH : "no driver for its track");
        free(list);
        return GRADE_DRIVER_FAILED;
    }

    /* Several workers even on one core: races need them, not speed. The speed
     * run gets one per core, like a participant's `retreat bench` would. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = strcmp(mode, "run") == 0 ? 3 : (cores > 1 ? (int)cores : 2);
    struct runlog *log = NULL;
    if (log_path != NULL && runlog_open(&log, log_path, &err) != 0) {
        fprintf(report, GRADE_DRIVER_ERROR " %s\n", err.msg);
        free(list);
        return GRADE_DRIVER_FAILED;
    }
    o->log = log;

    struct drive_result r = {0};
    int rc = strcmp(mode, "run") == 0 ? d->run(o, &r, &err) : d->speed(o, &r, &err);
    if (rc != 0) {
        fprintf(report, GRADE_DRIVER_ERROR " %s\n", err.msg);
    } else {
        fprintf(report, GRADE_DRIVER_DONE " %d of %d\n", r.done, r.total);
        if (strcmp(mode, "speed") == 0)
            fprintf(report, GRADE_DRIVER_SPEED " %.4f %.4f %ld\n", r.reference_s, r.yours_s, cores);
        if (strcmp(mode, "speed") == 0 && r.solution_s > 0)
            fprintf(report, GRADE_DRIVER_SOLUTION " %.4f\n", r.solution_s);
    }
    runlog_close(log);
    free(list);
    if (rc != 0)
        return GRADE_DRIVER_FAILED;
    return r.done < r.total ? GRADE_DRIVER_INCOMPLETE : GRADE_DRIVER_OK;
}
