/* stream_src_classdb.c - `retreat stream --class FILE.db`: the class scenes
 * straight from a class database, with no server in between.
 *
 * A facilitator who runs `retreat class` and `retreat stream` on one laptop
 * can point the stream at the class's database file: the texts are the same
 * JSON and run logs the server answers over HTTP (class_store.h makes both),
 * so the class source (stream_src_class.c) cannot tell the difference. The
 * database is opened read-only for each fetch, a few times a minute: SQLite's
 * WAL mode lets the server write meanwhile.
 */
#include <stdlib.h>
#include <string.h>

#include "class_store.h"
#include "stream_source.h"

static int db_state(void *ctx, char **text, size_t *len, struct err *err)
{
    if (class_state_json(ctx, text, err) != 0)
        return -1;
    *len = strlen(*text);
    return 0;
}

static int db_runlog(void *ctx, long long run, char **text, size_t *len, struct err *err)
{
    struct class_store *st;
    if (class_store_open(&st, ctx, 1, err) != 0)
        return -1;
    int rc = class_store_runlog(st, (long)run, text, len, err);
    class_store_close(st);
    if (rc == 0)
        return err_set(err, "%s: run %lld has no run log", (const char *)ctx, run);
    return rc < 0 ? -1 : 0;
}

int stream_src_class_db_new(struct stream_source **out, const char *db_path, struct err *err)
{
    char *path = strdup(db_path);
    if (path == NULL)
        return err_set(err, "out of memory for --class %s", db_path);
    struct stream_class_fetcher f = {
        .name = path, .state = db_state, .runlog = db_runlog, .free = free, .ctx = path};
    return stream_src_class_with(out, &f, err);
}
