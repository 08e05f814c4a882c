/* support_perturb.c - perturbed schedules, to find flaky bugs on purpose.
 *
 * A race or a missing wake-up often shows once in fifty runs: the scheduler
 * happens to switch threads at the one bad moment. `make exercise N
 * REPEAT=20` (retreat grade --repeat, src/tools/grade_repeat.c) runs the tests
 * many times with RETREAT_SEED set; then every lock, unlock, condition
 * variable wait, signal and broadcast first, at random, yields the CPU
 * (sched_yield) or sleeps a few dozen microseconds. That moves the switches
 * around, so the bad moment comes far sooner. The random choices come from
 * the seed - one stream per thread, numbered in the order the threads first
 * lock something - so a seed that failed replays the same perturbations
 * (SEED=...). The kernel still has its own say: a replay makes the failure
 * likely again, not certain.
 *
 * The tests' binary is linked with --wrap for these functions (Makefile,
 * Grading section); without RETREAT_SEED the wrappers only forward. Calls
 * inside libraries (Criterion, libcurl) are not wrapped: only the code of the
 * exercise, the reference solutions and the project's library are.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __wrap_pthread_cond_signal(pthread_cond_t *c);
int __wrap_pthread_cond_broadcast(pthread_cond_t *c);

/* Read once from RETREAT_SEED; 0 means "do not perturb". Global because the
 * wrappers have no other way in. */
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static unsigned seed;
static atomic_uint threads_seen;

static void read_seed(void)
{
    const char *s = getenv("RETREAT_SEED");
    seed = s != NULL ? (unsigned)strtoul(s, NULL, 10) : 0;
}

/* One random stream per thread (xorshift32), from the seed and the thread's
 * number. */
static _Thread_local unsigned state;

static unsigned next(void)
{
    if (state == 0) {
        unsigned n = atomic_fetch_add(&threads_seen, 1) + 1;
        state = (seed * 2654435761u) ^ (n * 40503u) ^ 0x9e3779b9u;
        if (state == 0)
            state = 1;
    }
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

/* One in four calls yields; one in sixteen sleeps 10-330 microseconds:
 * enough to let another thread run in between, short enough to keep the
 * tests quick. */
static void perturb(void)
{
    pthread_once(&seed_once, read_seed);
    if (seed == 0)
        return;
    unsigned r = next();
    if (r % 16 == 1) {
        struct timespec ts = {0, (long)(10 + (r >> 8) % 320) * 1000};
        nanosleep(&ts, NULL);
    } else if (r % 4 == 0) {
        sched_yield();
    }
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    perturb();
    return __real_pthread_mutex_lock(m);
}

/* After the unlock: the moment another thread can take the lock. */
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    int rc = __real_pthread_mutex_unlock(m);
    perturb();
    return rc;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    perturb();
    return __real_pthread_cond_wait(c, m);
}

int __wrap_pthread_cond_signal(pthread_cond_t *c)
{
    perturb();
    return __real_pthread_cond_signal(c);
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c)
{
    perturb();
    return __real_pthread_cond_broadcast(c);
}
