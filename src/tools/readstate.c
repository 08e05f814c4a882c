/* readstate.c - the read-state file: a set of ids, saved atomically; see readstate.h.
 *
 * In memory the ids are an array in the order they were read (so the file
 * reads like a history) plus an open-addressing hash table of indexes into
 * it, so that asking "read already?" costs the same for ten ids or a million.
 *
 * A save is load-merge-write under a lock (see readstate.h): an flock on
 * the folder holding the state, not on the state file, because every save
 * renames a new file over it and a lock on the old inode would exclude
 * nobody who opens the new one; and not on a lock file beside it, which
 * would be one more file left in the folder. flock locks belong to the open
 * file description, so they are released when the descriptor is closed,
 * also if the process dies.
 */
#include "readstate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xdg.h"

#define HEADER "# retreat comics: the comics already read, one link per line\n"

struct readstate {
    char path[PATH_MAX];
    char **ids;
    size_t count, cap;
    size_t *slots;  /* nslots entries: 0 empty, else index + 1 into ids */
    size_t nslots;  /* a power of two, at least twice count */
    size_t dropped; /* oldest ids dropped by the last save */
};

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t find_slot(const struct readstate *rs, const char *id)
{
    size_t mask = rs->nslots - 1, k = hash(id) & mask;
    while (rs->slots[k] != 0 && strcmp(rs->ids[rs->slots[k] - 1], id) != 0)
        k = (k + 1) & mask;
    return k;
}

static int grow(struct readstate *rs)
{
    size_t nslots = rs->nslots ? rs->nslots * 2 : 64;
    size_t *slots = calloc(nslots, sizeof *slots);
    char **ids = realloc(rs->ids, nslots / 2 * sizeof *ids);
    if (slots == NULL || ids == NULL) {
        free(slots);
        if (ids != NULL)
            rs->ids = ids;
        return -1;
    }
    free(rs->slots);
    rs->ids = ids;
    rs->cap = nslots / 2;
    rs->slots = slots;
    rs->nslots = nslots;
    for (size_t i = 0; i < rs->count; i++)
        rs->slots[find_slot(rs, rs->ids[i])] = i + 1;
    return 0;
}

int readstate_has(const struct readstate *rs, const char *id)
{
    return rs->nslots > 0 && rs->slots[find_slot(rs, id)] != 0;
}

size_t readstate_count(const struct readstate *rs)
{
    return rs->count;
}

int readstate_add(struct readstate *rs, const char *id, struct err *err)
{
    size_t len = strlen(id);
    if (len == 0 || len >= READSTATE_ID_MAX || strpbrk(id, "\r\n") != NULL)
        return err_set(err, "%s: cannot record '%.100s' (empty, too long or several lines)",
                       rs->path, id);
    if (readstate_has(rs, id))
        return 0;
    if (rs->count == rs->cap && grow(rs) != 0)
        return err_set(err, "%s: out of memory", rs->path);
    char *copy = strdup(id);
    if (copy == NULL)
        return err_set(err, "%s: out of memory", rs->path);
    rs->ids[rs->count++] = copy;
    rs->slots[find_slot(rs, id)] = rs->count;
    return 0;
}

int readstate_default_path(char *buf, size_t size, struct err *err)
{
    if (xdg_path("XDG_STATE_HOME", ".local/state", "retreat/read.txt", buf, size, err) != 0)
        return err_prefix(err, "no place for the read state (give --state FILE): ");
    return 0;
}

/* Adds the ids of the open state file f (named path) to rs. */
static int read_lines(struct readstate *rs, FILE *f, const char *path, struct err *err)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > (off_t)READSTATE_MAX_BYTES)
        return err_set(err, "%s: the read state is over %u bytes", path, READSTATE_MAX_BYTES);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (memchr(line, '\0', (size_t)len) != NULL)
            rc = err_set(err, "%s:%zu: not a text file", path, lineno);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (rc == 0 && len > 0 && line[0] != '#')
            rc = readstate_add(rs, line, err);
    }
    free(line);
    if (rc == 0 && ferror(f))
        rc = err_set(err, "%s: cannot read the read state (is it a folder?)", path);
    return rc;
}

int readstate_load(struct readstate **out, const char *path, struct err *err)
{
    *out = NULL;
    struct readstate *rs = calloc(1, sizeof *rs);
    if (rs == NULL)
        return err_set(err, "%s: out of memory", path);
    if (snprintf(rs->path, sizeof rs->path, "%s", path) >= (int)sizeof rs->path) {
        free(rs);
        return err_set(err, "%.200s...: path too long", path);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL && errno == ENOENT) { /* the first run */
        *out = rs;
        return 0;
    }
    if (f == NULL) {
        int e = errno;
        free(rs);
        return err_set(err, "%s: cannot open the read state: %s", path, strerror(e));
    }

    int rc = read_lines(rs, f, path, err);
    fclose(f);
    if (rc != 0) {
        readstate_free(rs);
        return -1;
    }
    *out = rs;
    return 0;
}

/* Opens the folder holding path, read-only. */
static int open_folder(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* fsync of the folder holding path, so that a rename into it is on disk. */
static void sync_folder(const char *path)
{
    int fd = open_folder(path);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems cannot sync a folder */
        close(fd);
    }
}

/* Writes rs to a temporary file and renames it over rs->path. */
static int write_state(const struct readstate *rs, struct err *err)
{
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", rs->path);
    int fd = mkstemp(tmp); /* mode 0600, in the same folder: rename stays atomic */
    if (fd < 0)
        return err_set(err, "%s: cannot create a temporary file: %s", rs->path, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(tmp);
        return err_set(err, "%s: out of memory", rs->path);
    }
    fputs(HEADER, f);
    for (size_t i = 0; i < rs->count; i++)
        fprintf(f, "%s\n", rs->ids[i]);
    int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, rs->path) != 0) {
        e = ok ? errno : e;
        unlink(tmp);
        return err_set(err, "%s: cannot save the read state: %s", rs->path, strerror(e));
    }
    sync_folder(rs->path);
    return 0;
}

/* Frees the oldest n ids and rebuilds the hash table of the rest. */
static void drop_oldest(struct readstate *rs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rs->ids[i]);
    rs->count -= n;
    memmove(rs->ids, rs->ids + n, rs->count * sizeof *rs->ids);
    memset(rs->slots, 0, rs->nslots * sizeof *rs->slots);
    for (size_t i = 0; i < rs->count; i++)
        rs->slots[find_slot(rs, rs->ids[i])] = i + 1;
}

/* The number of oldest ids to drop so that the file fits READSTATE_MAX_BYTES. */
static size_t excess(const struct readstate *rs)
{
    size_t bytes = sizeof HEADER - 1, n = 0;
    for (size_t i = 0; i < rs->count; i++)
        bytes += strlen(rs->ids[i]) + 1;
    while (bytes > READSTATE_MAX_BYTES && n < rs->count)
        bytes -= strlen(rs->ids[n++]) + 1;
    return n;
}

int readstate_save(struct readstate *rs, struct err *err)
{
    rs->dropped = 0;
    if (xdg_make_parents(rs->path, err) != 0)
        return err_prefix(err, "%s: ", rs->path);
    int lock = open_folder(rs->path);
    if (lock < 0)
        return err_set(err, "%s: cannot open its folder to lock it: %s", rs->path, strerror(errno));
    int rc = 0;
    while (rc == 0 && flock(lock, LOCK_EX) != 0)
        if (errno != EINTR)
            rc = err_set(err, "%s: cannot lock its folder: %s", rs->path, strerror(errno));

    /* Under the lock: what is on disk now (another run may have saved since
     * we loaded), then ours after it, in the order read. */
    struct readstate *merged = NULL;
    if (rc == 0)
        rc = readstate_load(&merged, rs->path, err);
    for (size_t i = 0; rc == 0 && i < rs->count; i++)
        rc = readstate_add(merged, rs->ids[i], err);
    size_t drop = rc == 0 ? excess(merged) : 0;
    if (drop > 0)
        drop_oldest(merged, drop);
    if (rc == 0)
        rc = write_state(merged, err);
    if (rc == 0) { /* rs becomes what was written; merged takes rs's old ids to free */
        struct readstate old = *rs;
        rs->ids = merged->ids, rs->count = merged->count, rs->cap = merged->cap;
        rs->slots = merged->slots, rs->nslots = merged->nslots;
        merged->ids = old.ids, merged->count = old.count, merged->cap = old.cap;
        merged->slots = old.slots, merged->nslots = old.nslots;
        rs->dropped = drop;
    }
    readstate_free(merged);
    close(lock); /* releases the lock */
    return rc;
}

size_t readstate_dropped(const struct readstate *rs)
{
    return rs->dropped;
}

void readstate_free(struct readstate *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->count; i++)
        free(rs->ids[i]);
    free(rs->ids);
    free(rs->slots);
    free(rs);
}
