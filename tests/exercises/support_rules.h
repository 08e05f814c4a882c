/* support_rules.h - the fetch READMEs' warnings, checked while a style runs.
 *
 * Exercises 11-13 warn about mistakes that usually still give the right
 * comics - until a bigger run, another libcurl, or a stream audience. A
 * warning nobody checks is a warning nobody reads, so the tests' binary
 * watches libcurl's calls as they happen (it is linked with --wrap for them,
 * see the Makefile's Grading section) and records the first rule broken:
 *
 *   - fetch_xfer_done() on a handle still in a multi handle: remove it
 *     first (curl_multi_remove_handle), as fetch.h says;
 *   - the CURLMsg read after curl_multi_remove_handle(), which ends its life
 *     (libcurl's documentation): the wrapper overwrites the message's result
 *     once the handle is removed, the way a later libcurl may, so a style that
 *     reads it late hands fetch_xfer_done() a code no transfer returns;
 *   - curl_share_cleanup() while the workers that use the share still run:
 *     it refuses (CURLSHE_IN_USE) or frees what they use.
 *
 * Busy-waiting (a loop around curl_multi_perform with no curl_multi_poll)
 * breaks no call order; it shows as CPU time: support_rules_end() reports the
 * process's CPU time during the run, and the concurrent check compares it
 * with the run's length (support_fetch.c).
 *
 * The wrappers only forward when no run is being watched. Nothing here
 * changes what libcurl does, except the poisoned CURLMsg result after a
 * removal, which libcurl no longer uses.
 */
#ifndef RETREAT_SUPPORT_RULES_H
#define RETREAT_SUPPORT_RULES_H

#include "err.h"

/* A style's result for "a CURLMsg read after curl_multi_remove_handle". */
#define SUPPORT_RULES_POISON 9999

struct support_rules_seen {
    char broken[ERR_MSG_MAX]; /* the first rule broken, as a hint; "" if none */
    double cpu_seconds;       /* CPU time of the whole process during the run */
};

/* Starts watching: forgets what an earlier run broke, notes the threads
 * alive now (the server's) and the CPU time so far. */
void support_rules_begin(void);

/* Stops watching and says what was seen. */
void support_rules_end(struct support_rules_seen *seen);

#endif
