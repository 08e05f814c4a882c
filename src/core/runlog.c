/* runlog.c - appending spans to a run log, and reading them back.
 *
 * One span, one line, one write(2). O_APPEND makes the kernel move the offset
 * to the end and write in one atomic step, so concurrent writers - threads or
 * processes - never interleave or overwrite each other's lines, and nobody
 * needs a lock. A line is built in a stack buffer by jansson's encoder, which
 * does the JSON escaping of file names and URLs for us.
 */
#include "runlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"

struct runlog {
    int fd;
};

static int runlog_from_fd(struct runlog **log, int fd, struct err *err)
{
    *log = malloc(sizeof **log);
    if (*log == NULL) {
        close(fd);
        return err_set(err, "run log: out of memory");
    }
    (*log)->fd = fd;
    return 0;
}

int runlog_open(struct runlog **log, const char *path, struct err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(err, "%s: cannot open run log (%s)", path, strerror(errno));
    return runlog_from_fd(log, fd, err);
}

int runlog_open_memory(struct runlog **log, struct err *err)
{
    int fd = memfd_create("retreat-runlog", MFD_CLOEXEC);
    if (fd < 0)
        return err_set(err, "run log: memfd_create failed (%s)", strerror(errno));
    /* memfd has no O_APPEND at creation; set it so writes stay atomic appends. */
    if (fcntl(fd, F_SETFL, O_APPEND) != 0) {
        close(fd);
        return err_set(err, "run log: cannot set O_APPEND (%s)", strerror(errno));
    }
    return runlog_from_fd(log, fd, err);
}

void runlog_close(struct runlog *log)
{
    if (log == NULL)
        return;
    close(log->fd);
    free(log);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

void runlog_begin(struct runlog_span *s, const char *style, const char *item, long index,
                  const char *phase)
{
    memset(s, 0, sizeof *s);
    copy_str(s->style, sizeof s->style, style);
    copy_str(s->item, sizeof s->item, item);
    copy_str(s->phase, sizeof s->phase, phase);
    s->index = index;
    s->worker = (long)syscall(SYS_gettid);
    s->pid = (long)getpid();
    s->ok = 1;
    s->start_ns = clock_now_ns();
}

int runlog_end(struct runlog *log, struct runlog_span *s)
{
    s->end_ns = clock_now_ns();
    return runlog_append(log, s);
}

int runlog_fail(struct runlog *log, struct runlog_span *s, const char *detail)
{
    s->end_ns = clock_now_ns();
    s->ok = 0;
    copy_str(s->detail, sizeof s->detail, detail);
    return runlog_append(log, s);
}

int runlog_append(struct runlog *log, const struct runlog_span *s)
{
    if (log == NULL)
        return 0;
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "style", s->style,
                          "item", s->item, "phase", s->phase, "index", (json_int_t)s->index,
                          "worker", (json_int_t)s->worker, "pid", (json_int_t)s->pid, "start_ns",
                          (json_int_t)s->start_ns, "end_ns", (json_int_t)s->end_ns, "ok", s->ok);
    if (o == NULL)
        return -1; /* a non-UTF-8 name: nothing we could write faithfully */
    if (s->detail[0] != '\0')
        json_object_set_new(o, "detail", json_string(s->detail));

    char line[RUNLOG_LINE_MAX];
    size_t len = json_dumpb(o, line, sizeof line - 1, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (len == 0 || len >= sizeof line - 1)
        return -1;
    line[len++] = '\n';
    /* One write: atomic with O_APPEND, even between processes. */
    ssize_t n = write(log->fd, line, len);
    return n == (ssize_t)len ? 0 : -1;
}

int runlog_mark_end(struct runlog *log, const char *exercise, const char *verdict, struct err *err)
{
    struct runlog_span s;
    runlog_begin(&s, RUNLOG_END, exercise, 0, RUNLOG_END);
    s.end_ns = s.start_ns;
    copy_str(s.detail, sizeof s.detail, verdict);
    errno = 0;
    if (runlog_append(log, &s) != 0)
        return err_set(err, "run log: cannot write the end mark of %s (%s)", s.item,
                       errno != 0 ? strerror(errno) : "not UTF-8 or too long");
    return 0;
}

int runlog_is_end(const struct runlog_span *s)
{
    return strcmp(s->style, RUNLOG_END) == 0 && strcmp(s->phase, RUNLOG_END) == 0;
}

static int get_str(json_t *o, const char *key, char *dst, size_t cap, int required)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_string(v))
        return -1;
    copy_str(dst, cap, json_string_value(v));
    return 0;
}

static int get_int(json_t *o, const char *key, json_int_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return -1;
    *out = json_integer_value(v);
    return 0;
}

int runlog_parse_line(const char *line, size_t len, struct runlog_span *s, const char *where,
                      struct err *err)
{
    memset(s, 0, sizeof *s);
    json_error_t jerr;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return err_set(err, "%s: not valid JSON (%s)", where, jerr.text);
    if (!json_is_object(o)) {
        json_decref(o);
        return err_set(err, "%s: expected a JSON object, one span per line", where);
    }
    json_int_t index, worker, pid = 0, start, end;
    const char *missing = NULL;
    if (get_str(o, "style", s->style, sizeof s->style, 1) != 0)
        missing = "style (a string)";
    else if (get_str(o, "item", s->item, sizeof s->item, 1) != 0)
        missing = "item (a string)";
    else if (get_str(o, "phase", s->phase, sizeof s->phase, 1) != 0)
        missing = "phase (a string)";
    else if (get_str(o, "detail", s->detail, sizeof s->detail, 0) != 0)
        missing = "detail (a string)";
    else if (get_int(o, "index", &index) != 0)
        missing = "index (an integer)";
    else if (get_int(o, "worker", &worker) != 0)
        missing = "worker (an integer)";
    else if (json_object_get(o, "pid") != NULL && get_int(o, "pid", &pid) != 0)
        missing = "pid (an integer)";
    else if (get_int(o, "start_ns", &start) != 0 || start < 0)
        missing = "start_ns (a non-negative integer)";
    else if (get_int(o, "end_ns", &end) != 0 || end < start)
        missing = "end_ns (an integer not before start_ns)";
    json_t *ok = json_object_get(o, "ok");
    if (missing == NULL && ok != NULL && !json_is_boolean(ok))
        missing = "ok (true or false)";
    if (missing != NULL) {
        json_decref(o);
        return err_set(err, "%s: missing or wrong field %s", where, missing);
    }
    s->index = (long)index;
    s->worker = (long)worker;
    s->pid = (long)pid;
    s->start_ns = (uint64_t)start;
    s->end_ns = (uint64_t)end;
    s->ok = ok == NULL || json_is_true(ok);
    json_decref(o);
    return 0;
}

int runlog_parse_text(const char *text, size_t size, const char *name, struct runlog_span **spans,
                      size_t *count, struct err *err)
{
    struct runlog_span *arr = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    const char *p = text, *end = text + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t len = (size_t)(eol - p);
        lineno++;
        if (len > 0) {
            char where[300];
            snprintf(where, sizeof where, "%s:%zu", name, lineno);
            if (len > RUNLOG_LINE_MAX) {
                free(arr);
                return err_set(err, "%s: line longer than %d bytes", where, RUNLOG_LINE_MAX);
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                struct runlog_span *grown = realloc(arr, cap * sizeof *arr);
                if (grown == NULL) {
                    free(arr);
                    return err_set(err, "%s: out of memory", name);
                }
                arr = grown;
            }
            if (runlog_parse_line(p, len, &arr[n], where, err) != 0) {
                free(arr);
                return -1;
            }
            n++;
        }
        p = eol + 1;
    }
    *spans = arr;
    *count = n;
    return 0;
}

/* Reads all of fd from offset 0 into a malloc'ed buffer. */
static int slurp_fd(int fd, const char *name, char **out, size_t *size, struct err *err)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return err_set(err, "%s: out of memory", name);
    for (;;) {
        if (len == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (grown == NULL) {
                free(buf);
                return err_set(err, "%s: out of memory", name);
            }
            buf = grown;
        }
        ssize_t got = pread(fd, buf + len, cap - len, (off_t)len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            return err_set(err, "%s: read failed (%s)", name, strerror(e));
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    *out = buf;
    *size = len;
    return 0;
}

int runlog_snapshot(struct runlog *log, struct runlog_span **spans, size_t *count, struct err *err)
{
    char *text = NULL;
    size_t size = 0;
    if (slurp_fd(log->fd, "run log", &text, &size, err) != 0)
        return -1;
    int rc = runlog_parse_text(text, size, "run log", spans, count, err);
    free(text);
    return rc;
}

int runlog_read(const char *path, struct runlog_span **spans, size_t *count, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, "%s: cannot open run log (%s)", path, strerror(errno));
    char *text = NULL;
    size_t size = 0;
    int rc = slurp_fd(fd, path, &text, &size, err);
    close(fd);
    if (rc != 0)
        return -1;
    rc = runlog_parse_text(text, size, path, spans, count, err);
    free(text);
    return rc;
}
