/* grade_driver.h - what the grader and its driver (tests/grade/) agree on.
 *
 * The races, memory and speedup checks run a driver program (see
 * tests/grade/driver.h); the grader (src/tools/grade.c) reads how it ended from its
 * exit status and from the "grade:" lines of WORK_DIR/report.txt. Both sides
 * include this header, so that neither can change a code alone.
 *
 * Exit statuses of the driver, and of the sanitizers the grader configures
 * (their exitcode= option), all distinct:
 */
#ifndef RETREAT_GRADE_DRIVER_H
#define RETREAT_GRADE_DRIVER_H

#define GRADE_DRIVER_OK 0     /* the participant's code did every item */
#define GRADE_DRIVER_FAILED 1 /* the driver itself could not do its job ("grade: error") */
#define GRADE_DRIVER_INCOMPLETE                                                                    \
    3                             /* the participant's code did not complete the work, so a        \
                                     sanitizer that saw nothing proves nothing */
#define GRADE_DRIVER_TSAN_EXIT 66 /* ThreadSanitizer reported (TSAN_OPTIONS exitcode=) */
#define GRADE_DRIVER_ASAN_EXIT 67 /* AddressSanitizer / LeakSanitizer reported (ASAN_OPTIONS) */

/* The report file in the work folder, and its line prefixes. */
#define GRADE_DRIVER_REPORT "report.txt"
#define GRADE_DRIVER_DONE "grade: done"   /* grade: done DONE of TOTAL */
#define GRADE_DRIVER_SPEED "grade: speed" /* grade: speed LINEAR_S YOURS_S CORES */
#define GRADE_DRIVER_SOLUTION                                                                      \
    "grade: solution"                     /* grade: solution REFERENCE_S (the same exercise's) */
#define GRADE_DRIVER_ERROR "grade: error" /* grade: error SENTENCE */

#endif
