/* trace.h - a run log as Chrome Trace Event JSON, for ui.perfetto.dev and
 * chrome://tracing.
 *
 * The stream shows a run as it happens; a trace lets a learner zoom into it
 * afterwards, span by span, in a viewer made for that. The output follows
 * the Trace Event Format (the "JSON Object Format": an object with a
 * "traceEvents" array):
 *
 *   - every span is a complete event, ph "X": name = its phase ("blur"),
 *     cat = its style, ts and dur in microseconds from the first span of
 *     the log, pid = the span's process, tid = its worker (thread id), and
 *     args = item, index, ok and detail;
 *   - a span that overlaps an earlier span of the same worker without
 *     nesting inside it cannot be a slice of that thread (viewers drop or
 *     misdraw such slices), so it becomes an async pair, ph "b" and "e",
 *     with a unique id and the same cat: every span is in the trace;
 *   - metadata events (ph "M") name the tracks: "process_name" per pid and
 *     "thread_name" per worker, "worker 1", "worker 2", ... in order of the
 *     worker's first span, as the stream's timeline numbers its lanes;
 *   - an end mark (runlog_mark_end, docs/RUNLOG.md) is an instant event,
 *     ph "i", named "end: VERDICT".
 *
 * Strings go through jansson, which does the escaping.
 *
 *     struct runlog_span *spans; size_t n;
 *     if (runlog_read("run.jsonl", &spans, &n, &err) == 0 &&
 *         trace_write_json(spans, n, stdout, &err) == 0) ...
 */
#ifndef RETREAT_TRACE_H
#define RETREAT_TRACE_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "runlog.h"

/* Writes the trace of count spans (in any order) to out. Fails on a write
 * error or when out of memory. */
int trace_write_json(const struct runlog_span *spans, size_t count, FILE *out, struct err *err);

/* Reads the run log at runlog_path and writes its trace to out_path
 * atomically: into a temporary file beside it, renamed into place, so a
 * failed conversion leaves no half-written trace. Errors name the file. */
int trace_convert_file(const char *runlog_path, const char *out_path, struct err *err);

/* The trace path that goes with a run log: "runs/05-pool-17.jsonl" gives
 * "runs/05-pool-17.trace.json" (any other name gets ".trace.json" added).
 * Fails if it does not fit in cap bytes. */
int trace_path_for(const char *runlog_path, char *out, size_t cap, struct err *err);

#endif
