/* clock.h - the one clock every timing in retreat is measured with.
 *
 * CLOCK_MONOTONIC never jumps when the wall clock is adjusted, and on Linux it
 * is the same clock in every process of the machine, so spans recorded by
 * forked workers line up with those of the parent in one run log.
 */
#ifndef RETREAT_CLOCK_H
#define RETREAT_CLOCK_H

#include <stdint.h>

/* Nanoseconds on the monotonic clock. */
uint64_t clock_now_ns(void);

/* Seconds between two clock_now_ns() readings, as a double for printing. */
double clock_seconds(uint64_t start_ns, uint64_t end_ns);

/* Sleeps for ms milliseconds, resuming after signals. */
void clock_sleep_ms(unsigned ms);

#endif
