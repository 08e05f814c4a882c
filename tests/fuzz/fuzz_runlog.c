/* fuzz_runlog.c - libFuzzer target: the run-log reader.
 *
 * Run logs are read back by the grader, the benchmark and the stream renderer,
 * and a log may come from anywhere (a participant's hand-edited file, a crash
 * halfway through a line). Two readers are exercised:
 *
 *   - runlog_parse_line on the input as one line;
 *   - runlog_read on the input as a whole file (written to an in-memory file
 *     and read back through /proc/self/fd, so no disk is involved), then the
 *     statistics of runlog_stats.c over whatever spans it produced.
 *
 * Every span that parses must hold NUL-terminated strings and end_ns >=
 * start_ns: the rest of retreat relies on both.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runlog.h"

static void check_span(const struct runlog_span *s)
{
    if (memchr(s->style, '\0', sizeof s->style) == NULL ||
        memchr(s->item, '\0', sizeof s->item) == NULL ||
        memchr(s->phase, '\0', sizeof s->phase) == NULL ||
        memchr(s->detail, '\0', sizeof s->detail) == NULL || s->end_ns < s->start_ns)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = {0};
    struct runlog_span span;
    if (runlog_parse_line((const char *)data, size, &span, "fuzz:1", &err) == 0)
        check_span(&span);
    else if (err.msg[0] == '\0')
        abort();

    /* A whole file: the line splitting, the line-length limit, the array. */
    int fd = memfd_create("fuzz-runlog", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct runlog_span *spans = NULL;
    size_t count = 0;
    if (runlog_read(path, &spans, &count, &err) == 0) {
        for (size_t i = 0; i < count; i++)
            check_span(&spans[i]);
        uint64_t a, b;
        size_t matched = runlog_extent(spans, count, NULL, NULL, &a, &b);
        if (matched != count || (count > 0 && b < a))
            abort();
        if (runlog_max_overlap(spans, count, NULL, NULL) > count ||
            runlog_workers(spans, count, NULL, NULL) > count)
            abort();
        free(spans);
    }
    close(fd);
    return 0;
}
