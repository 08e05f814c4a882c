/* test_grade.c - the grader's parts that need no exercise: running a program
 * under a timeout and an output cap, Criterion's (broken) JSON report, the
 * sanitizer reports, the card and the progress file. The report samples are
 * real output of Criterion 2.4.1 and GCC 12's sanitizers, shortened. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grade.h"

/* --- grade_proc -------------------------------------------------------------- */

Test(grade_proc, keeps_output_and_exit_status)
{
    char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 7", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 7);
    cr_expect_eq(p.signal, 0);
    cr_expect_eq(p.timed_out, 0);
    cr_expect(strstr(p.output, "out\n") != NULL && strstr(p.output, "err\n") != NULL, "got: %s",
              p.output);
    char buf[128];
    cr_expect_eq(grade_proc_describe(&p, 10, buf, sizeof buf), 0, "described as: %s", buf);
    grade_proc_free(&p);
}

Test(grade_proc, passes_the_extra_environment)
{
    char *argv[] = {"sh", "-c", "echo \"[$GRADE_TEST]\"", NULL};
    char *env[] = {"GRADE_TEST=hello", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, env, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_str_eq(p.output, "[hello]\n");
    grade_proc_free(&p);
}

/* A program that sleeps past its timeout - and leaves a grandchild sleeping
 * too - is killed with its whole group, soon after the timeout. */
Test(grade_proc, a_sleeper_is_killed_with_its_group_after_the_timeout)
{
    char *argv[] = {"sh", "-c", "sleep 30 & echo $!; sleep 30; echo never", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 1, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.timed_out, 1);
    cr_expect_eq(p.status, -1);
    cr_expect_geq(p.seconds, 0.9, "killed before its timeout, after %.2f s", p.seconds);
    /* The grandchild got SIGKILL with its group: it is gone (or a zombie
     * waiting for init) as soon as the kernel has finished killing it, which
     * on a loaded machine may take a moment after the group's leader is
     * reaped. So wait for that event - bounded, so that a grandchild that
     * really sleeps on fails the test - rather than look once. */
    char stat_path[64], stat[256] = "";
    cr_assert_gt(atoi(p.output), 1, "no pid printed: %s", p.output);
    snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", atoi(p.output));
    int dead = 0;
    for (int tries = 0; tries < 1000 && !dead; tries++) { /* 10 s at most */
        FILE *f = fopen(stat_path, "r");
        if (f == NULL) {
            dead = 1;
            break;
        }
        if (fgets(stat, sizeof stat, f) == NULL || strstr(stat, ") Z ") != NULL ||
            strstr(stat, ") X ") != NULL)
            dead = 1;
        fclose(f);
        if (!dead)
            usleep(10 * 1000);
    }
    cr_expect(dead, "the grandchild lives on: %s", stat);
    cr_expect_null(strstr(p.output, "never"));
    char buf[128];
    cr_expect_gt(grade_proc_describe(&p, 1, buf, sizeof buf), 0);
    cr_expect_str_eq(buf, "no result after 1 s: a deadlock or an endless loop?");
    grade_proc_free(&p);
}

Test(grade_proc, a_crash_is_reported_by_its_signal)
{
    char *argv[] = {"sh", "-c", "kill -SEGV $$", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.signal, SIGSEGV);
    cr_expect_eq(p.timed_out, 0);
    char buf[128];
    grade_proc_describe(&p, 10, buf, sizeof buf);
    cr_expect(strstr(buf, "crashed: Segmentation fault") != NULL, "got: %s", buf);
    grade_proc_free(&p);
}

/* Megabytes of output: the first cap bytes are kept, the rest counted, and
 * the program is never blocked on a full pipe. */
Test(grade_proc, output_over_the_cap_is_truncated)
{
    char *argv[] = {"head", "-c", "3000000", "/dev/zero", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1000, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 0);
    cr_expect_eq(p.len, 1000);
    cr_expect_eq(p.dropped, 3000000 - 1000);
    grade_proc_free(&p);
}

Test(grade_proc, a_missing_program_exits_127_with_a_message)
{
    char *argv[] = {"/nonexistent/grader-test", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 127);
    cr_expect(strstr(p.output, "/nonexistent/grader-test: cannot run") != NULL, "got: %s",
              p.output);
    grade_proc_free(&p);
}

/* --- Containment (grade_proc_run_contained, grade_limits.c) --------------------- */

static struct grade_run contained(char **argv)
{
    return (struct grade_run){.argv = argv, .timeout_s = 60, .cap = 4096};
}

/* The limits are set in the child before exec: /proc/self/limits of the
 * program itself shows them. */
Test(grade_limits, every_graded_process_gets_the_limits)
{
    char *argv[] = {"cat", "/proc/self/limits", NULL};
    struct grade_run r = contained(argv);
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 0);
    char line[128];
    snprintf(line, sizeof line, "Max open files            %-21d%-21d", GRADE_LIMIT_NOFILE,
             GRADE_LIMIT_NOFILE);
    cr_expect(strstr(p.output, line) != NULL, "no line '%s' in:\n%s", line, p.output);
    snprintf(line, sizeof line, "Max cpu time              %-21d%-21d", GRADE_LIMIT_CPU_S,
             GRADE_LIMIT_CPU_S);
    cr_expect(strstr(p.output, line) != NULL, "no line '%s' in:\n%s", line, p.output);
    snprintf(line, sizeof line, "Max file size             %-21llu", GRADE_LIMIT_FSIZE);
    cr_expect(strstr(p.output, line) != NULL, "no line '%s' in:\n%s", line, p.output);
    snprintf(line, sizeof line, "Max address space         %-21llu", GRADE_LIMIT_AS);
    cr_expect(strstr(p.output, line) != NULL, "no line '%s' in:\n%s", line, p.output);
    grade_proc_free(&p);

    /* A sanitizer reserves terabytes of address space: no limit there. */
    r.sanitized = 1;
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect(strstr(p.output, line) == NULL, "address space limited under a sanitizer:\n%s",
              p.output);
    grade_proc_free(&p);
}

/* A worker that calls setsid() leaves the process group, so a kill of the
 * group misses it; the subreaper still has it in its tree and kills it. */
Test(grade_limits, a_setsid_grandchild_does_not_survive)
{
    char pidfile[] = "/tmp/grade-setsid-XXXXXX";
    int fd = mkstemp(pidfile);
    cr_assert_geq(fd, 0);
    close(fd);
    char script[256];
    snprintf(script, sizeof script,
             "setsid sh -c 'echo $$ > %s; exec sleep 60' & "
             "while [ ! -s %s ]; do sleep 0.05; done",
             pidfile, pidfile);
    char *argv[] = {"sh", "-c", script, NULL};
    struct grade_run r = contained(argv);
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 0, "%s", p.output);
    cr_expect_eq(p.survivors, 1, "the setsid'd sleeper counted %d times", p.survivors);
    FILE *f = fopen(pidfile, "r");
    int pid = 0;
    cr_assert(f != NULL && fscanf(f, "%d", &pid) == 1);
    fclose(f);
    unlink(pidfile);
    cr_expect(kill(pid, 0) != 0, "process %d (setsid, sleep 60) is still alive", pid);
    grade_proc_free(&p);
}

Test(grade_limits, too_many_processes_are_stopped_and_named)
{
    char *argv[] = {"sh", "-c", "i=0; while [ $i -lt 100 ]; do sleep 60 & i=$((i+1)); done; wait",
                    NULL};
    struct grade_run r = contained(argv);
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.stop, GRADE_STOP_PROCS);
    cr_expect_gt(p.peak, GRADE_LIMIT_PROCS);
    char buf[256];
    cr_assert_gt(grade_proc_describe(&p, 60, buf, sizeof buf), 0);
    cr_expect(strstr(buf, "processes at once; the limit is 64") != NULL, "got: %s", buf);
    struct grade_tree_proc left[8];
    cr_expect_eq(grade_tree_list(getpid(), left, 8), 0, "processes left after the grade");
    grade_proc_free(&p);
}

/* Python's bytes of 2.5 GiB are touched as they are made: resident memory
 * over GRADE_LIMIT_RSS, under the address-space limit. */
Test(grade_limits, a_runaway_allocation_is_stopped_and_named)
{
    char *argv[] = {"python3", "-c", "import time; b = b'x' * (5 << 29); time.sleep(60)", NULL};
    struct grade_run r = contained(argv);
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.stop, GRADE_STOP_MEMORY, "stop %d, status %d: %s", p.stop, p.status, p.output);
    char buf[256];
    cr_assert_gt(grade_proc_describe(&p, 60, buf, sizeof buf), 0);
    cr_expect(strstr(buf, "of memory; the limit is 2 GiB") != NULL, "got: %s", buf);
    grade_proc_free(&p);
}

Test(grade_limits, a_file_over_the_size_limit_is_named)
{
    char path[] = "/tmp/grade-fsize-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char script[128];
    snprintf(script, sizeof script, "exec head -c 300M /dev/zero > %s", path);
    char *argv[] = {"sh", "-c", script, NULL};
    struct grade_run r = contained(argv);
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    unlink(path);
    cr_expect_eq(p.signal, SIGXFSZ);
    char buf[256];
    cr_assert_gt(grade_proc_describe(&p, 60, buf, sizeof buf), 0);
    cr_expect_str_eq(buf, "stopped: your program wrote a file over the limit of 256 MiB");
    grade_proc_free(&p);
}

/* A program that waits forever uses no CPU and prints nothing: it is
 * stopped as a hang after stall_s, long before its timeout. */
Test(grade_limits, no_progress_is_a_hang_before_the_timeout)
{
    char *argv[] = {"sh", "-c", "echo started; sleep 600", NULL};
    struct grade_run r = contained(argv);
    r.timeout_s = 600;
    r.stall_s = 1;
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.stop, GRADE_STOP_STALL);
    cr_expect_eq(p.timed_out, 1);
    cr_expect_geq(p.stalled_s, 1.0);
    char buf[512];
    cr_assert_gt(grade_proc_describe(&p, 600, buf, sizeof buf), 0);
    cr_expect(strstr(buf, "no progress for 1 s") != NULL && strstr(buf, "a deadlock?") != NULL,
              "got: %s", buf);
    grade_proc_free(&p);
}

/* A busy program is progress: it runs to its timeout, and the card says the
 * time it really ran and that it was still computing. */
Test(grade_limits, a_busy_loop_is_not_a_deadlock)
{
    char *argv[] = {"sh", "-c", "while :; do :; done", NULL};
    struct grade_run r = contained(argv);
    r.timeout_s = 3;
    r.stall_s = 1;
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.stop, GRADE_STOP_TIMEOUT);
    char buf[512];
    cr_assert_gt(grade_proc_describe(&p, 0, buf, sizeof buf), 0);
    cr_expect(strstr(buf, "still computing: an endless loop? (the limit is 3 s)") != NULL,
              "got: %s", buf);
    grade_proc_free(&p);
}

/* A program that only burns CPU - no output, no process started or ended -
 * for spin_s seconds is an endless loop: stopped then, not at its timeout. */
Test(grade_limits, a_loop_with_nothing_to_show_is_stopped_as_endless)
{
    char *argv[] = {"sh", "-c", "echo started; while :; do :; done", NULL};
    struct grade_run r = contained(argv);
    r.timeout_s = 600;
    r.stall_s = 1;
    r.spin_s = 2;
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.stop, GRADE_STOP_SPIN);
    cr_expect_eq(p.timed_out, 1);
    cr_expect_geq(p.stalled_s, 2.0);
    char buf[512];
    cr_assert_gt(grade_proc_describe(&p, 600, buf, sizeof buf), 0);
    /* "busy for 2 s" on a quiet machine; on a loaded one the loop gets less
     * than half a core at first and is caught a few seconds later. */
    int busy_s = 0;
    const char *busy = strstr(buf, "busy for ");
    cr_expect(busy != NULL && sscanf(busy, "busy for %d s with nothing to show", &busy_s) == 1 &&
                  busy_s >= 2 && strstr(buf, "an endless loop?") != NULL,
              "got: %s", buf);
    grade_proc_free(&p);
}

/* A program that shows progress - a line every second of wall time, busy
 * all along - is not an endless loop, however long it computes: it runs to
 * its end, past spin_s. */
Test(grade_limits, a_busy_program_that_shows_progress_is_left_alone)
{
    char *argv[] = {"awk",
                    "BEGIN { for (i = 0; i < 8; i++) { t = systime(); while (systime() == t) {} "
                    "print \"second\", i; fflush() } }",
                    NULL};
    struct grade_run r = contained(argv);
    r.timeout_s = 600;
    r.stall_s = 5;
    r.spin_s = 5;
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run_contained(&r, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.stop, GRADE_STOP_NONE);
    cr_expect_eq(p.status, 0);
    cr_expect(strstr(p.output, "second 7") != NULL, "got: %s", p.output);
    grade_proc_free(&p);
}

/* gdb attaches to a process of the grader's tree; `sleep` has no frame in
 * the participant's file, so nothing is described, but it is no error. */
Test(grade_hang, gdb_attaches_to_a_waiting_process)
{
    char *argv[] = {"sleep", "60", NULL};
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    char buf[512];
    struct err err = {0};
    int n = grade_hang_where(pid, "pool.c", buf, sizeof buf, &err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    cr_expect_eq(n, 0, "gdb: %s", n < 0 ? err.msg : buf);
}

/* --- gdb's stacks (grade_hang.c) --------------------------------------------------- */

/* Real output of gdb 13 (`thread apply all bt`, then `thread apply all -s
 * x/3dw $rdi`) attached to the pool with a worker that returns holding the
 * lock, under ThreadSanitizer; argument lists outside pool.c shortened. */
static const char gdb_pool_deadlock[] =
    "Thread 4 (Thread 0x7f2393bfd6c0 (LWP 22366) \"races\"):\n"
    "#0  futex_wait (...) at ../sysdeps/nptl/futex-internal.h:146\n"
    "#1  __GI___lll_lock_wait (...) at ./nptl/lowlevellock.c:49\n"
    "#2  0x00007f23a0bd9482 in lll_mutex_lock_optimized (mutex=0x7ffd8ab77d38) at "
    "./nptl/pthread_mutex_lock.c:48\n"
    "#3  ___pthread_mutex_lock (mutex=0x7ffd8ab77d38) at ./nptl/pthread_mutex_lock.c:93\n"
    "#4  0x00007f23a2a5594a in __interceptor_pthread_mutex_lock (m=m@entry=0x7ffd8ab77d38) at "
    "../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc:4326\n"
    "#5  0x000055b98c3c1737 in worker (arg=0x7ffd8ab77d30) at "
    "build/planted/dead/05-pool/pool.c:25\n"
    "#6  0x00007f23a2a38990 in __tsan_thread_start_func (arg=0x7ffd8ab77c40) at "
    "../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:991\n"
    "#7  0x00007f23a0bd61f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442\n"
    "#8  0x00007f23a0c568ec in clone3 () at ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81\n"
    "\n"
    "Thread 3 (Thread 0x7f23943fe6c0 (LWP 22365) \"races\"):\n"
    "#0  futex_wait (...) at ../sysdeps/nptl/futex-internal.h:146\n"
    "#1  __GI___lll_lock_wait (...) at ./nptl/lowlevellock.c:49\n"
    "#2  0x00007f23a0bd9482 in lll_mutex_lock_optimized (mutex=0x7ffd8ab77d38) at "
    "./nptl/pthread_mutex_lock.c:48\n"
    "#3  ___pthread_mutex_lock (mutex=0x7ffd8ab77d38) at ./nptl/pthread_mutex_lock.c:93\n"
    "#4  0x00007f23a2a5594a in __interceptor_pthread_mutex_lock (m=m@entry=0x7ffd8ab77d38) at "
    "../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc:4326\n"
    "#5  0x000055b98c3c1737 in worker (arg=0x7ffd8ab77d30) at "
    "build/planted/dead/05-pool/pool.c:25\n"
    "#6  0x00007f23a2a38990 in __tsan_thread_start_func (arg=0x7ffd8ab77c40) at "
    "../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:991\n"
    "#7  0x00007f23a0bd61f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442\n"
    "#8  0x00007f23a0c568ec in clone3 () at ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81\n"
    "\n"
    "Thread 2 (Thread 0x7f2394bff6c0 (LWP 22364) \"races\"):\n"
    "#0  0x00007f23a2ab1e6f in __sanitizer::internal_usleep (useconds=useconds@entry=100000) at "
    "../../../../src/libsanitizer/sanitizer_common/sanitizer_linux.cpp:460\n"
    "#1  0x00007f23a2aaa672 in __sanitizer::SleepForMillis (millis=millis@entry=100) at "
    "../../../../src/libsanitizer/sanitizer_common/sanitizer_common.cpp:339\n"
    "#2  0x00007f23a2a8a119 in __tsan::BackgroundThread (arg=<optimized out>) at "
    "../../../../src/libsanitizer/tsan/tsan_rtl.cpp:208\n"
    "#3  0x00007f23a0bd61f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442\n"
    "#4  0x00007f23a0c568ec in clone3 () at ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81\n"
    "\n"
    "Thread 1 (Thread 0x7f2397309040 (LWP 22362) \"races\"):\n"
    "#0  __futex_abstimed_wait_common64 (...) at ./nptl/futex-internal.c:57\n"
    "#1  __futex_abstimed_wait_common (...) at ./nptl/futex-internal.c:87\n"
    "#2  0x00007f23a0bd2f7b in __GI___futex_abstimed_wait_cancelable64 (...) at "
    "./nptl/futex-internal.c:139\n"
    "#3  0x00007f23a0bd7ce3 in __pthread_clockjoin_ex (...) at ./nptl/pthread_join_common.c:102\n"
    "#4  0x00007f23a2a60e3b in __interceptor_pthread_join (th=0x7f23943fe6c0, ret=ret@entry=0x0) "
    "at ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1061\n"
    "#5  0x000055b98c3c1947 in pool_run (b=<optimized out>) at "
    "build/planted/dead/05-pool/pool.c:56\n"
    "#6  0x000055b98c3c2032 in run_style (...) at tests/grade/drive_blur.c:158\n"
    "#7  0x000055b98c3c23c2 in blur_run (...) at tests/grade/drive_blur.c:175\n"
    "#8  0x000055b98c3bffc5 in drive (...) at tests/grade/main.c:96\n"
    "#9  main (...) at tests/grade/main.c:51\n"
    "\n"
    "Thread 4 (Thread 0x7f2393bfd6c0 (LWP 22366) \"races\"):\n"
    "0x7ffd8ab77d38:\t2\t0\t22367\n"
    "\n"
    "Thread 3 (Thread 0x7f23943fe6c0 (LWP 22365) \"races\"):\n"
    "0x7ffd8ab77d38:\t2\t0\t22367\n"
    "\n"
    "Thread 2 (Thread 0x7f2394bff6c0 (LWP 22364) \"races\"):\n"
    "0x7f2394b3e570:\t0\t0\t79188595\n"
    "\n"
    "Thread 1 (Thread 0x7f2397309040 (LWP 22362) \"races\"):\n"
    "0x7f23943fe990:\t22365\t0\t-1807750752\n";

Test(grade_hang, a_worker_that_returned_holding_the_lock)
{
    char buf[1024];
    int n = grade_hang_describe(gdb_pool_deadlock, "build/planted/dead/05-pool/pool.c", buf,
                                sizeof buf);
    cr_expect_eq(n, 3, "threads described: %d (%s)", n, buf);
    cr_expect_str_eq(buf, "thread 1 waits in pthread_join at pool.c:56 for thread 3; threads 3 "
                          "and 4 wait in pthread_mutex_lock at pool.c:25 for a mutex held by a "
                          "thread that has ended (it returned without unlocking)");
    /* The same file, found from another working folder. */
    n = grade_hang_describe(gdb_pool_deadlock, "/home/x/retreat/build/planted/dead/05-pool/pool.c",
                            buf, sizeof buf);
    cr_expect_eq(n, 3);
    /* Another file of the same name is not theirs. */
    n = grade_hang_describe(gdb_pool_deadlock, "solutions/05-pool/pool.c", buf, sizeof buf);
    cr_expect_eq(n, 0, "described: %s", buf);
}

/* Without a sanitizer: glibc's own names (pthread_cond_wait@@GLIBC_2.3.2,
 * a tail-called join), a mutex held by a living thread, a thread that is
 * not waiting at all. Shaped after gdb 13's output. */
static const char gdb_chan[] =
    "Thread 4 (Thread 0x7f00000004 (LWP 104) \"test\"):\n"
    "#0  spin (c=0x5555) at exercises/07-pipeline/pipeline.c:50\n"
    "#1  0x0000555555555100 in stage (arg=0x5555) at exercises/07-pipeline/pipeline.c:61\n"
    "#2  0x00007ffff7e3b1f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442\n"
    "\n"
    "Thread 3 (Thread 0x7f00000003 (LWP 103) \"test\"):\n"
    "#0  futex_wait (private=0, expected=2, futex_word=0x5555555592a0) at "
    "../sysdeps/nptl/futex-internal.h:146\n"
    "#1  __GI___lll_lock_wait (futex=futex@entry=0x5555555592a0, private=0) at "
    "./nptl/lowlevellock.c:49\n"
    "#2  0x00007ffff7e3d482 in lll_mutex_lock_optimized (mutex=0x5555555592a0) at "
    "./nptl/pthread_mutex_lock.c:48\n"
    "#3  ___pthread_mutex_lock (mutex=0x5555555592a0) at ./nptl/pthread_mutex_lock.c:93\n"
    "#4  0x0000555555555200 in chan_send (c=0x5555555592a0, v=0x0) at "
    "exercises/07-pipeline/pipeline.c:17\n"
    "#5  0x00007ffff7e3b1f5 in start_thread (arg=<optimized out>) at ./nptl/pthread_create.c:442\n"
    "\n"
    "Thread 2 (Thread 0x7f00000002 (LWP 102) \"test\"):\n"
    "#0  0x00007ffff7eb2a5c in read () from /lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x0000555555555300 in chan_recv (c=0x5555555592a0) at "
    "exercises/07-pipeline/pipeline.c:40\n"
    "\n"
    "Thread 1 (Thread 0x7f00000001 (LWP 101) \"test\"):\n"
    "#0  __futex_abstimed_wait_common (futex_word=0x7f00000002, expected=102) at "
    "./nptl/futex-internal.c:57\n"
    "#1  0x00007ffff7e37f7b in __futex_abstimed_wait_common (...) at ./nptl/futex-internal.c:87\n"
    "#2  0x00007ffff7e3ea0d in pthread_cond_wait@@GLIBC_2.3.2 () from "
    "/lib/x86_64-linux-gnu/libc.so.6\n"
    "#3  0x0000555555555400 in pipeline_run (b=0x7ffe) at exercises/07-pipeline/pipeline.c:23\n"
    "#4  0x0000555555555500 in main () at tests/exercises/07-pipeline.c:12\n"
    "\n"
    "Thread 3 (Thread 0x7f00000003 (LWP 103) \"test\"):\n"
    "0x5555555592a0 <lock>:\t2\t0\t102\n"
    "\n"
    "Thread 1 (Thread 0x7f00000001 (LWP 101) \"test\"):\n"
    "0x7f00000002:\t0\t0\t0\n";

Test(grade_hang, names_the_call_the_line_and_the_holder)
{
    char buf[1024];
    int n = grade_hang_describe(gdb_chan, "exercises/07-pipeline/pipeline.c", buf, sizeof buf);
    cr_expect_eq(n, 4, "threads described: %d (%s)", n, buf);
    cr_expect_str_eq(buf, "thread 1 waits in pthread_cond_wait at pipeline.c:23; thread 2 waits in "
                          "read at pipeline.c:40; thread 3 waits in pthread_mutex_lock at "
                          "pipeline.c:17 for a mutex held by thread 2; thread 4 runs in spin() at "
                          "pipeline.c:50");
    /* Nothing that is not gdb's output makes a sentence. */
    cr_expect_eq(
        grade_hang_describe("ptrace: Operation not permitted.\n", "pipeline.c", buf, sizeof buf),
        0);
    cr_expect_str_eq(buf, "");
}

/* --- A runaway allocation under a sanitizer (grade_limits.c) --------------------- */

/* Real output of GCC 12's AddressSanitizer with max_allocation_size_mb=2048,
 * for the planted 10 GiB malloc of tests/grade/planted.sh. */
static const char asan_too_big[] =
    "=================================================================\n"
    "==22651==ERROR: AddressSanitizer: requested allocation size 0x280000000 (0x280001000 after "
    "adjustments for alignment, red zones etc.) exceeds maximum supported size of 0x80000000 "
    "(thread T2)\n"
    "    #0 0x7f0839ab89cf in __interceptor_malloc "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69\n"
    "    #1 0x564d995ec596 in worker build/planted/big/05-pool/pool.c:35\n"
    "    #2 0x7f08374a71f4 in start_thread nptl/pthread_create.c:442\n"
    "\n"
    "SUMMARY: AddressSanitizer: allocation-size-too-big "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69 in __interceptor_malloc\n";

Test(grade_limits, a_too_big_allocation_is_named_with_its_size_and_place)
{
    char buf[256];
    cr_assert_eq(
        grade_limits_alloc_parse(asan_too_big, "build/planted/big/05-pool/pool.c", buf, sizeof buf),
        1);
    cr_expect_str_eq(
        buf,
        "your program asked for 10 GiB at once (in worker() at pool.c:35); the limit is 2 GiB");
    cr_expect_eq(grade_limits_alloc_parse(gdb_pool_deadlock, "pool.c", buf, sizeof buf), 0,
                 "found in gdb's stacks: %s", buf);
}

/* Found by fuzz_hang: a report whose stack is the end of the text (no
 * newline after its last frame) made the frame search add 0 to a NULL
 * pointer, which UBSan reports (make test-asan). */
Test(grade_limits, a_stack_at_the_very_end_of_the_report)
{
    static const char report[] =
        "==1==ERROR: AddressSanitizer: requested allocation size 0x80000000 exceeds maximum "
        "supported size of 0x10000000 (thread T1)\n"
        "    #0 0x1 in malloc asan_malloc_linux.cpp:69\n"
        "    #1 0x2 in main other.c:3";
    char buf[256];
    cr_assert_eq(grade_limits_alloc_parse(report, "pool.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "your program asked for 2 GiB at once; the limit is 256 MiB");
}

Test(grade_limits, sizes_in_words)
{
    char buf[32];
    grade_limits_size(10ull << 30, buf, sizeof buf);
    cr_expect_str_eq(buf, "10 GiB");
    grade_limits_size(2ull << 30, buf, sizeof buf);
    cr_expect_str_eq(buf, "2 GiB");
    grade_limits_size(1536ull << 20, buf, sizeof buf);
    cr_expect_str_eq(buf, "1.5 GiB");
    grade_limits_size(512, buf, sizeof buf);
    cr_expect_str_eq(buf, "512 bytes");
}

/* --- Criterion's report -------------------------------------------------------- */

/* Criterion 2.4.1 verbatim: the quotes, the tab and the backslash in the
 * messages are not escaped; a two-line message is two elements. */
static const char criterion_report[] =
    "{\n"
    "  \"id\": \"Criterion v2.4.1\",\n"
    "  \"test_suites\": [\n"
    "    {\n"
    "      \"name\": \"errors\",\n"
    "      \"passed\": 0,\n"
    "      \"failed\": 2,\n"
    "      \"errored\": 2,\n"
    "      \"skipped\": 0,\n"
    "      \"tests\": [\n"
    "        {\n"
    "          \"name\": \"hangs\",\n"
    "          \"assertions\": 0,\n"
    "          \"status\": \"ERRORED\",\n"
    "          \"messages\": [\"The test timed out.\"]\n"
    "        },\n"
    "        {\n"
    "          \"name\": \"crashes\",\n"
    "          \"assertions\": 0,\n"
    "          \"status\": \"ERRORED\",\n"
    "          \"messages\": [\"The test crashed.\"]\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"correct\",\n"
    "      \"passed\": 1,\n"
    "      \"failed\": 1,\n"
    "      \"errored\": 0,\n"
    "      \"skipped\": 0,\n"
    "      \"tests\": [\n"
    "        {\n"
    "          \"name\": \"blurs_each_image\",\n"
    "          \"assertions\": 2,\n"
    "          \"status\": \"FAILED\",\n"
    "          \"messages\": [\n"
    "            \"tests/exercises/05-pool.c:50: second failure\",\n"
    "            \"tests/exercises/05-pool.c:42: image \"3.png\" differs at (4, 7):\",\n"
    "            \"  got 12\tand \\d, expected 13\"\n"
    "          ]\n"
    "        },\n"
    "        {\n"
    "          \"name\": \"keeps_sizes\",\n"
    "          \"assertions\": 1,\n"
    "          \"status\": \"PASSED\"\n"
    "        }\n"
    "      ]\n"
    "    }\n"
    "  ]\n"
    "}\n";

Test(grade_criterion, reads_the_unescaped_report_of_criterion_2_4)
{
    struct grade_suite *suites;
    size_t count;
    struct err err = {0};
    cr_assert_eq(grade_criterion_parse(criterion_report, &suites, &count, &err), 0, "%s", err.msg);
    cr_assert_eq(count, 2);

    const struct grade_suite *correct = grade_criterion_find(suites, count, "correct");
    cr_assert_not_null(correct);
    cr_expect_eq(correct->tests, 2);
    cr_expect_eq(correct->passed, 1);
    cr_expect_eq(correct->failed, 1);
    cr_expect_str_eq(correct->failing_test, "blurs_each_image");
    /* The first failure (listed last), both its lines, without the test's
     * file and line, and how many more failed in the same test (not a
     * dangling "(and more)"). */
    cr_expect_str_eq(correct->message, "image \"3.png\" differs at (4, 7): got 12\tand \\d, "
                                       "expected 13 (then 1 more failed assertion in this test)");

    const struct grade_suite *errors = grade_criterion_find(suites, count, "errors");
    cr_assert_not_null(errors);
    cr_expect_eq(errors->timed_out, 1);
    cr_expect_eq(errors->crashed, 1);
    cr_expect_null(grade_criterion_find(suites, count, "races"));
    free(suites);
}

Test(grade_criterion, a_truncated_report_is_an_error_not_a_pass)
{
    struct grade_suite *suites;
    size_t count;
    struct err err = {0};
    char half[200];
    snprintf(half, sizeof half, "%.*s", 150, criterion_report);
    cr_expect_eq(grade_criterion_parse(half, &suites, &count, &err), -1);
    cr_expect(strstr(err.msg, "not valid JSON") != NULL, "got: %s", err.msg);
    cr_expect_eq(grade_criterion_parse("{\"id\": 1}", &suites, &count, &err), -1);
    cr_expect(strstr(err.msg, "test_suites") != NULL, "got: %s", err.msg);
}

/* --- Sanitizer reports ------------------------------------------------------------ */

static const char tsan_report[] =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=7004)\n"
    "  Read of size 8 at 0x7ffd330b4360 by thread T2:\n"
    "    #0 memcpy ../../../../src/libsanitizer/sanitizer_common/x.inc:827 (libtsan.so.2+0x1)\n"
    "    #1 worker exercises/05-pool/pool.c:26 (races+0x63b7)\n"
    "    #2 <null> <null> (libc.so.6+0x89133)\n"
    "\n"
    "  Previous write of size 8 at 0x7ffd330b4360 by thread T1:\n"
    "    #0 worker exercises/05-pool/pool.c:28 (races+0x63f7)\n"
    "\n"
    "  Location is stack of main thread.\n"
    "\n"
    "  Thread T2 (tid=7022, running) created by main thread at:\n"
    "    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001\n"
    "    #1 pool_run exercises/05-pool/pool.c:49 (races+0x6500)\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race exercises/05-pool/pool.c:26 in worker\n"
    "==================\n"
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=7004)\n"
    "  Write of size 4 at 0x55 by main thread:\n"
    "    #0 main tests/grade/main.c:71 (races+0x5e9c)\n"
    "SUMMARY: ThreadSanitizer: data race tests/grade/main.c:71 in main\n"
    "==================\n"
    "ThreadSanitizer: reported 2 warnings\n";

Test(grade_sanitizer, tsan_race_names_both_accesses_in_the_participants_file)
{
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_tsan_parse(tsan_report, "exercises/05-pool/pool.c", buf, sizeof buf), 2);
    cr_expect_str_eq(buf, "data race on a local variable of main thread: read in worker() at "
                          "pool.c:26 (thread T2) and earlier write in worker() at pool.c:28 "
                          "(thread T1)");
}

Test(grade_sanitizer, tsan_global_and_other_warning_kinds)
{
    static const char report[] =
        "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=1)\n"
        "  Cycle in lock order graph: M1 (0x1) => M2 (0x2) => M1\n"
        "\n"
        "  Mutex M2 acquired here while holding mutex M1 in main thread:\n"
        "    #0 pthread_mutex_lock ../../../../src/libsanitizer/tsan/x.inc:4324 "
        "(libtsan.so.2+0x1)\n"
        "    #1 take exercises/07-pipeline/pipeline.c:88 (races+0x2)\n"
        "SUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) in take\n";
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_tsan_parse(report, "exercises/07-pipeline/pipeline.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "lock-order-inversion (potential deadlock): take() at pipeline.c:88");

    static const char global[] = "WARNING: ThreadSanitizer: data race (pid=2)\n"
                                 "  Write of size 4 at 0x5 by thread T1:\n"
                                 "    #0 w /tmp/r.c:5 (r+0x11cf)\n"
                                 "  Previous write of size 4 at 0x5 by thread T2:\n"
                                 "    #0 w /tmp/r.c:5 (r+0x11f3)\n"
                                 "  Location is global 'counter' of size 4 at 0x5 (r+0x405c)\n";
    cr_expect_eq(grade_tsan_parse(global, "exercises/05-pool/pool.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "data race on global 'counter': write in w() at r.c:5 (thread T1) "
                          "and earlier write in w() at r.c:5 (thread T2)");

    cr_expect_eq(grade_tsan_parse("grade: done 4 of 4\n", "x.c", buf, sizeof buf), 0);
}

Test(grade_sanitizer, leak_points_at_the_allocation_in_the_participants_file)
{
    static const char report[] =
        "==10965==ERROR: LeakSanitizer: detected memory leaks\n"
        "\n"
        "Direct leak of 40 byte(s) in 1 object(s) allocated from:\n"
        "    #0 0x7f43ca2b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/"
        "asan_malloc_linux.cpp:69\n"
        "    #1 0x5589daf46400 in worker_args exercises/05-pool/pool.c:30\n"
        "    #2 0x5589daf4643e in pool_run exercises/05-pool/pool.c:52\n"
        "\n"
        "SUMMARY: AddressSanitizer: 40 byte(s) leaked in 1 allocation(s).\n";
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_asan_parse(report, "exercises/05-pool/pool.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "leak: 40 bytes allocated in worker_args() at pool.c:30 were never "
                          "freed (in all: 40 byte(s) leaked in 1 allocation(s).)");
}

Test(grade_sanitizer, use_after_free_and_undefined_behaviour)
{
    static const char uaf[] =
        "==13052==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc 0x5 bp 0x7\n"
        "READ of size 4 at 0x602000000010 thread T0\n"
        "    #0 0x564a9c3cf246 in chan_recv exercises/07-pipeline/pipeline.c:61\n"
        "    #1 0x7fa3e7445249 in __libc_start_call_main "
        "../sysdeps/nptl/libc_start_call_main.h:58\n"
        "\n"
        "freed by thread T0 here:\n"
        "    #0 0x7fa3e7eb76a8 in __interceptor_free ../../../../src/libsanitizer/asan/x.cpp:52\n";
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_asan_parse(uaf, "exercises/07-pipeline/pipeline.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "heap-use-after-free: READ of size 4 in chan_recv() at pipeline.c:61");

    static const char ub[] = "grade: done 1 of 4\n"
                             "exercises/01-kernel/kernel.c:12:5: runtime error: signed integer "
                             "overflow: 2147483647 + 1 cannot be represented in type 'int'\n";
    cr_expect_eq(grade_asan_parse(ub, "exercises/01-kernel/kernel.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "undefined behaviour at kernel.c:12: signed integer overflow: "
                          "2147483647 + 1 cannot be represented in type 'int'");

    cr_expect_eq(grade_asan_parse("grade: done 4 of 4\n", "x.c", buf, sizeof buf), 0);
}

/* --- The card ------------------------------------------------------------------------ */

static const struct exercise pool = {.number = 5,
                                     .id = "05-pool",
                                     .name = "pool",
                                     .track = "blur",
                                     .file = "pool.c",
                                     .checks = (1u << CHECK_CORRECT) | (1u << CHECK_ERRORS) |
                                               (1u << CHECK_SPEEDUP),
                                     .tolerance = 0,
                                     .timeout = 90,
                                     .hint = "h"};

Test(grade_card, suites_become_lines_that_teach)
{
    struct grade_card card = {.ex = &pool};
    struct grade_suite ok = {.name = "correct", .tests = 3, .passed = 3};
    struct grade_suite hung = {
        .name = "errors", .tests = 2, .failed = 1, .timed_out = 1, .failing_test = "bad_file"};
    struct grade_suite wrong = {.name = "correct",
                                .tests = 1,
                                .failed = 1,
                                .failing_test = "blurs",
                                .message = "image 3 differs at (1, 2)"};
    grade_card_add_suite(&card, CHECK_CORRECT, &ok, 90);
    grade_card_add_suite(&card, CHECK_ERRORS, &hung, 90);
    grade_card_add_suite(&card, CHECK_CORRECT, &wrong, 90);
    grade_card_add_suite(&card, CHECK_WORKERS, NULL, 90);
    cr_assert_eq(card.count, 4);
    cr_expect_eq(card.lines[0].mark, GRADE_PASS);
    cr_expect_eq(card.lines[1].mark, GRADE_FAIL);
    cr_expect(strstr(card.lines[1].text, "no result after 90 s: a deadlock or an endless loop?"),
              "got: %s", card.lines[1].text);
    cr_expect_str_eq(card.lines[2].text, "blurs: image 3 differs at (1, 2)");
    cr_expect_eq(card.lines[3].mark, GRADE_FAIL, "a check without tests must not pass");
    cr_expect_eq(grade_card_failures(&card), 3);
}

Test(grade_card, prints_marks_a_legend_and_what_to_do_next)
{
    struct grade_card card = {.ex = &pool, .source = "exercises/05-pool/pool.c"};
    grade_card_add(&card, CHECK_CORRECT, GRADE_PASS, "fine");
    grade_card_add(&card, CHECK_ERRORS, GRADE_FAIL, "missing.png was not reported");
    grade_card_add(&card, CHECK_SPEEDUP, GRADE_INFO, "1.8x");
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    grade_card_print(out, &card, 0);
    fclose(out);
    cr_expect(strstr(text, "✓ correct") != NULL, "%s", text);
    cr_expect(strstr(text, "✗ errors      missing.png was not reported") != NULL, "%s", text);
    cr_expect(strstr(text, "· speedup") != NULL, "%s", text);
    cr_expect(strstr(text, "✓ passed  ✗ failed") != NULL, "no legend: %s", text);
    cr_expect(strstr(text, "1 of 2 checks pass") != NULL, "%s", text);
    cr_expect(strstr(text, "fix 'errors' first") != NULL, "%s", text);
    cr_expect_null(strchr(text, '\033'), "colour without a terminal");
    free(text);

    out = open_memstream(&text, &len);
    grade_card_print(out, &card, 1);
    fclose(out);
    cr_expect(strstr(text, "\033[31m✗") != NULL, "no red cross: %s", text);
    free(text);
}

Test(grade_card, a_build_error_is_shown_as_the_compiler_wrote_it)
{
    struct grade_card card = {.ex = &pool, .source = "exercises/05-pool/pool.c"};
    snprintf(card.build_error, sizeof card.build_error,
             "pool.c:3:5: error: expected ';'\n    3 |     x\n      |     ^");
    grade_card_add(&card, CHECK_CORRECT, GRADE_SKIP, "not run: it does not build");
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    grade_card_print(out, &card, 0);
    fclose(out);
    cr_expect(strstr(text, "✗ builds      pool.c:3:5: error: expected ';'\n        3 |     x\n") !=
                  NULL,
              "%s", text);
    cr_expect(strstr(text, "- correct     not run") != NULL, "%s", text);
    cr_expect(strstr(text, "does not compile") != NULL, "%s", text);
    cr_expect_eq(grade_card_failures(&card), 1);
    free(text);
}

/* --- .progress ------------------------------------------------------------------------ */

Test(grade_progress, records_and_reads_back_the_last_grade)
{
    char path[] = "/tmp/retreat-progress-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path);

    struct exercise list[2] = {pool, pool};
    list[1].number = 6;
    snprintf(list[1].id, sizeof list[1].id, "06-rows");
    int passed[2];
    struct err err = {0};
    cr_assert_eq(grade_progress_read(path, list, 2, passed, &err), 0, "%s", err.msg);
    cr_expect(passed[0] == -1 && passed[1] == -1, "a missing file is no progress");

    cr_assert_eq(grade_progress_record(path, &list[0], 0, &err), 0, "%s", err.msg);
    cr_assert_eq(grade_progress_record(path, &list[1], 1, &err), 0, "%s", err.msg);
    cr_assert_eq(grade_progress_record(path, &list[0], 1, &err), 0, "%s", err.msg);
    cr_assert_eq(grade_progress_read(path, list, 2, passed, &err), 0, "%s", err.msg);
    cr_expect_eq(passed[0], 1);
    cr_expect_eq(passed[1], 1);

    /* One line per exercise, however often it was graded. */
    FILE *f = fopen(path, "r");
    int lines = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    fclose(f);
    cr_expect_eq(lines, 2);
    unlink(path);
}
