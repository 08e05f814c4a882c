/* class_store.c - the class's SQLite database; see class_store.h.
 *
 * Durability: WAL with synchronous=NORMAL. A commit in WAL mode is in the
 * log file before sqlite3_step() returns, so killing the server (or the
 * server crashing) loses nothing that was answered 201; only a power cut can
 * lose the last commits, which a workshop can live with for the speed it buys
 * (one fsync per checkpoint instead of one per upload).
 *
 * Names are unique without regard to ASCII case (COLLATE NOCASE): "Ann"
 * cannot pass for "ann" on the projector.
 *
 * Tokens are stored as their SHA-256 (gnutls): a copied database, shown on a
 * stream by mistake, does not let anyone post as someone else.
 */
#include "class_store.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* CLASS_RECENT_RUNS, as text for the query. */
#define STR(x) #x
#define XSTR(x) STR(x)
#define RECENT XSTR(CLASS_RECENT_RUNS)

struct class_store {
    sqlite3 *db;
    pthread_mutex_t lock;
    char code[CLASS_CODE_HEX + 1];
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS participants("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, token_hash TEXT NOT NULL,"
    "  joined INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs("
    "  id INTEGER PRIMARY KEY, participant INTEGER NOT NULL REFERENCES participants(id),"
    "  exercise TEXT NOT NULL, passed INTEGER NOT NULL, speedup REAL, checks TEXT NOT NULL,"
    "  race_summary TEXT, accesses TEXT, runlog BLOB, at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS runs_summary ON runs(participant, exercise, passed, speedup);"
    "CREATE TABLE IF NOT EXISTS firsts("
    "  exercise TEXT PRIMARY KEY, participant INTEGER NOT NULL REFERENCES participants(id),"
    "  run INTEGER NOT NULL, at INTEGER NOT NULL);";

static int db_error(struct class_store *st, const char *what, struct err *err)
{
    return err_set(err, "class database: %s: %s", what, sqlite3_errmsg(st->db));
}

static void hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static int token_hash(const char *token, char out[65])
{
    unsigned char digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), digest) != 0)
        return -1;
    hex(digest, sizeof digest, out);
    return 0;
}

/* Reads the class code, or makes one (128 bits from getrandom) and keeps it. */
static int load_code(struct class_store *st, int read_only, struct err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'code'", -1, &q, NULL))
        return db_error(st, "reading the class code", err);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        snprintf(st->code, sizeof st->code, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW)
        return 0;
    if (read_only) {
        st->code[0] = '\0';
        return 0;
    }
    unsigned char bytes[CLASS_CODE_HEX / 2];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        return err_set(err, "class database: no random bytes for the class code: %s",
                       strerror(errno));
    hex(bytes, sizeof bytes, st->code);
    if (sqlite3_prepare_v2(st->db, "INSERT INTO meta(key, value) VALUES('code', ?)", -1, &q, NULL))
        return db_error(st, "saving the class code", err);
    sqlite3_bind_text(q, 1, st->code, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : db_error(st, "saving the class code", err);
}

int class_store_open(struct class_store **out, const char *path, int read_only, struct err *err)
{
    *out = NULL;
    struct class_store *st = calloc(1, sizeof *st);
    if (st == NULL)
        return err_set(err, "%s: out of memory", path);
    int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        err_set(err, "%s: cannot open the class database: %s", path,
                st->db ? sqlite3_errmsg(st->db) : "out of memory");
        sqlite3_close(st->db);
        free(st);
        return -1;
    }
    /* A busy database (another reader mid-checkpoint) waits a little, not fails. */
    sqlite3_busy_timeout(st->db, 2000);
    char *msg = NULL;
    const char *setup = read_only ? "PRAGMA query_only = 1;"
                                  : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                                    "PRAGMA foreign_keys = ON;";
    if (sqlite3_exec(st->db, setup, NULL, NULL, &msg) != SQLITE_OK ||
        (!read_only && sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK)) {
        err_set(err, "%s: not a class database (%s)", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(st->db);
        free(st);
        return -1;
    }
    if (load_code(st, read_only, err) != 0) {
        err_prefix(err, "%s: ", path);
        sqlite3_close(st->db);
        free(st);
        return -1;
    }
    pthread_mutex_init(&st->lock, NULL);
    *out = st;
    return 0;
}

void class_store_close(struct class_store *st)
{
    if (st == NULL)
        return;
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

const char *class_store_code(const struct class_store *st)
{
    return st->code;
}

/* --- Participants and runs ----------------------------------------------------- */

static int identify_locked(struct class_store *st, const char *name, const char *token, int create,
                           long *id, int *status, struct err *err)
{
    char hash[65];
    *status = 500;
    if (token_hash(token, hash) != 0)
        return err_set(err, "class database: cannot hash a token");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT id, token_hash FROM participants WHERE name = ?", -1, &q,
                           NULL))
        return db_error(st, "finding a participant", err);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        int mine = strcmp((const char *)sqlite3_column_text(q, 1), hash) == 0;
        *id = (long)sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        if (mine)
            return 0;
        *status = 409;
        return err_set(err,
                       "the name %s is taken in this class: join with another "
                       "(retreat join --name NAME URL)",
                       name);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_error(st, "finding a participant", err);
    if (!create) {
        *status = 404;
        return err_set(err, "nobody called %s in this class", name);
    }
    if (sqlite3_prepare_v2(st->db, "SELECT COUNT(*) FROM participants", -1, &q, NULL))
        return db_error(st, "counting participants", err);
    long n = sqlite3_step(q) == SQLITE_ROW ? (long)sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (n >= CLASS_MAX_PARTICIPANTS) {
        *status = 403;
        return err_set(err, "the class is full (%d participants)", CLASS_MAX_PARTICIPANTS);
    }
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO participants(name, token_hash, joined) VALUES(?, ?, ?)", -1,
                           &q, NULL))
        return db_error(st, "adding a participant", err);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_error(st, "adding a participant", err);
    *id = (long)sqlite3_last_insert_rowid(st->db);
    return 0;
}

int class_store_identify(struct class_store *st, const char *name, const char *token, int create,
                         long *id, int *status, struct err *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = identify_locked(st, name, token, create, id, status, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* The card's checks as the JSON kept in runs.checks. */
static char *checks_json(const struct class_upload *up)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < up->nchecks; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "check",
                                             exercises_check_name(up->checks[i].check), "mark",
                                             class_mark_name(up->checks[i].mark), "text",
                                             up->checks[i].text));
    json_t *o = json_pack("{s:o, s:s, s:s}", "checks", arr, "file", up->file, "build_error",
                          up->build_error);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static char *accesses_json(const struct class_upload *up)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < up->naccesses; i++) {
        const struct class_access *a = &up->accesses[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:s}", "what", a->what, "where",
                                             a->where, "file", a->file, "line", (json_int_t)a->line,
                                             "source", a->source));
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

static int add_run_locked(struct class_store *st, long id, const struct class_upload *up, long *run,
                          struct err *err)
{
    char *checks = checks_json(up);
    char *accesses = up->race_text != NULL ? accesses_json(up) : NULL;
    sqlite3_stmt *q = NULL;
    int rc = -1;
    long at = (long)time(NULL);
    if (checks == NULL || (up->race_text != NULL && accesses == NULL)) {
        err_set(err, "class database: out of memory");
        goto out;
    }
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        db_error(st, "starting a transaction", err);
        goto out;
    }
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO runs(participant, exercise, passed, speedup, checks,"
                           " race_summary, accesses, runlog, at) VALUES(?,?,?,?,?,?,?,?,?)",
                           -1, &q, NULL)) {
        db_error(st, "adding a run", err);
        goto rollback;
    }
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, up->exercise, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, up->passed);
    if (up->has_speedup)
        sqlite3_bind_double(q, 4, up->speedup);
    sqlite3_bind_text(q, 5, checks, -1, SQLITE_STATIC);
    if (up->race_text != NULL) {
        sqlite3_bind_text(q, 6, up->race_text, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 7, accesses, -1, SQLITE_STATIC);
    }
    if (up->runlog != NULL)
        sqlite3_bind_blob(q, 8, up->runlog, (int)up->runlog_len, SQLITE_STATIC);
    sqlite3_bind_int64(q, 9, at);
    if (sqlite3_step(q) != SQLITE_DONE) {
        db_error(st, "adding a run", err);
        goto rollback;
    }
    *run = (long)sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(q);
    q = NULL;
    if (up->passed) {
        /* The first pass of an exercise stays first: OR IGNORE keeps the row. */
        if (sqlite3_prepare_v2(st->db,
                               "INSERT OR IGNORE INTO firsts(exercise, participant, run, at)"
                               " VALUES(?,?,?,?)",
                               -1, &q, NULL)) {
            db_error(st, "recording a first", err);
            goto rollback;
        }
        sqlite3_bind_text(q, 1, up->exercise, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, id);
        sqlite3_bind_int64(q, 3, *run);
        sqlite3_bind_int64(q, 4, at);
        if (sqlite3_step(q) != SQLITE_DONE) {
            db_error(st, "recording a first", err);
            goto rollback;
        }
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        db_error(st, "committing a run", err);
        goto rollback;
    }
    rc = 0;
    goto out;
rollback:
    sqlite3_finalize(q);
    q = NULL;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_finalize(q);
    free(checks);
    free(accesses);
    return rc;
}

int class_store_add_run(struct class_store *st, long id, const struct class_upload *up, long *run,
                        struct err *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = add_run_locked(st, id, up, run, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int class_store_runlog(struct class_store *st, long run, char **data, size_t *len, struct err *err)
{
    *data = NULL;
    *len = 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *q;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT runlog FROM runs WHERE id = ? AND runlog IS NOT NULL",
                           -1, &q, NULL)) {
        rc = db_error(st, "reading a run log", err);
    } else {
        sqlite3_bind_int64(q, 1, run);
        if (sqlite3_step(q) == SQLITE_ROW) {
            size_t n = (size_t)sqlite3_column_bytes(q, 0);
            if ((*data = malloc(n + 1)) == NULL) {
                rc = err_set(err, "class database: out of memory");
            } else {
                if (n > 0)
                    memcpy(*data, sqlite3_column_blob(q, 0), n);
                (*data)[n] = '\0';
                *len = n;
                rc = 1;
            }
        }
        sqlite3_finalize(q);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

long class_store_runs(struct class_store *st)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *q;
    long n = -1;
    if (sqlite3_prepare_v2(st->db, "SELECT COUNT(*) FROM runs", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            n = (long)sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    pthread_mutex_unlock(&st->lock);
    return n;
}

/* --- The state JSON -------------------------------------------------------------- */

/* A column as JSON: integer, real, text or null, as SQLite has it. */
static json_t *column(sqlite3_stmt *q, int i)
{
    switch (sqlite3_column_type(q, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(q, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(q, i));
    case SQLITE_TEXT:
        return json_string((const char *)sqlite3_column_text(q, i));
    default:
        return json_null();
    }
}

/* Runs sql and makes each row an object with the given keys (one per
 * column); `one` gives the first row alone (or null) instead of an array. */
static json_t *rows(struct class_store *st, const char *sql, const char *const *keys, int one,
                    struct err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        db_error(st, "building the state", err);
        return NULL;
    }
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; keys[i] != NULL; i++)
            json_object_set_new(o, keys[i], column(q, i));
        json_array_append_new(arr, o);
        if (one)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(st, "building the state", err);
        sqlite3_finalize(q);
        json_decref(arr);
        return NULL;
    }
    sqlite3_finalize(q);
    if (!one)
        return arr;
    json_t *first = json_array_size(arr) > 0 ? json_incref(json_array_get(arr, 0)) : json_null();
    json_decref(arr);
    return first;
}

static long scalar(struct class_store *st, const char *sql)
{
    sqlite3_stmt *q;
    long n = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            n = (long)sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    return n;
}

/* "grid": {name: {exercise: passed?}} from one grouped query. */
static json_t *grid(struct class_store *st, struct err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT p.name, r.exercise, MAX(r.passed) FROM runs r"
                           " JOIN participants p ON p.id = r.participant"
                           " GROUP BY r.participant, r.exercise",
                           -1, &q, NULL) != SQLITE_OK) {
        db_error(st, "building the state", err);
        return NULL;
    }
    json_t *g = json_object();
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        json_t *row = json_object_get(g, name);
        if (row == NULL)
            json_object_set_new(g, name, row = json_object());
        json_object_set_new(row, (const char *)sqlite3_column_text(q, 1),
                            json_boolean(sqlite3_column_int(q, 2)));
    }
    sqlite3_finalize(q);
    return g;
}

static const char leaderboard_sql[] =
    "SELECT p.name,"
    " (SELECT COUNT(DISTINCT exercise) FROM runs r WHERE r.participant = p.id AND r.passed) AS n,"
    " b.speedup, b.exercise"
    " FROM participants p LEFT JOIN runs b ON b.id = ("
    "   SELECT id FROM runs r WHERE r.participant = p.id AND r.passed AND r.speedup IS NOT NULL"
    "   ORDER BY r.speedup DESC, r.id LIMIT 1)"
    " ORDER BY n DESC, b.speedup DESC NULLS LAST, p.id";

static int state_locked(struct class_store *st, char **json, struct err *err)
{
    static const char *const board_keys[] = {"name", "passed", "best_speedup", "best_exercise",
                                             NULL};
    static const char *const first_keys[] = {"exercise", "name", "at", "run", NULL};
    static const char *const pass_keys[] = {"name", "exercise", "at", "run", "speedup", NULL};
    static const char *const race_keys[] = {"name",    "exercise", "at", "run",
                                            "summary", "accesses", NULL};
    static const char *const recent_keys[] = {"run",     "name", "exercise", "passed",
                                              "speedup", "at",   NULL};
    json_t *s = json_object();
    /* The newest run's time: by id, which the primary key finds at once
     * (MAX(at) would read every row, run logs and all). */
    json_object_set_new(s, "updated",
                        json_integer(scalar(st, "SELECT at FROM runs ORDER BY id DESC LIMIT 1")));
    json_object_set_new(s, "participants",
                        json_integer(scalar(st, "SELECT COUNT(*) FROM participants")));
    json_t *parts[] = {
        rows(st, leaderboard_sql, board_keys, 0, err),
        rows(st,
             "SELECT f.exercise, p.name, f.at, f.run FROM firsts f"
             " JOIN participants p ON p.id = f.participant ORDER BY f.exercise",
             first_keys, 0, err),
        rows(st,
             "SELECT p.name, r.exercise, r.at, r.id, r.speedup FROM runs r"
             " JOIN participants p ON p.id = r.participant WHERE r.passed"
             " ORDER BY r.id DESC LIMIT 1",
             pass_keys, 1, err),
        rows(st,
             "SELECT p.name, r.exercise, r.at, r.id, r.race_summary, r.accesses FROM runs r"
             " JOIN participants p ON p.id = r.participant WHERE r.race_summary IS NOT NULL"
             " ORDER BY r.id DESC LIMIT 1",
             race_keys, 1, err),
        grid(st, err),
        rows(st,
             "SELECT r.id, p.name, r.exercise, r.passed, r.speedup, r.at FROM runs r"
             " JOIN participants p ON p.id = r.participant ORDER BY r.id DESC LIMIT " RECENT,
             recent_keys, 0, err),
    };
    static const char *const names[] = {"leaderboard", "firsts", "latest_pass",
                                        "latest_race", "grid",   "recent"};
    int ok = 1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (parts[i] == NULL)
            ok = 0;
        else
            json_object_set_new(s, names[i], parts[i]);
    }
    /* The accesses were stored as JSON text; the contract wants the array,
     * and "passed" in recent as a boolean. */
    json_t *race = json_object_get(s, "latest_race");
    if (ok && json_is_object(race)) {
        const char *text = json_string_value(json_object_get(race, "accesses"));
        json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
        json_object_set_new(race, "accesses", json_is_array(arr) ? arr : json_array());
        if (arr != NULL && !json_is_array(arr))
            json_decref(arr);
    }
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(s, "recent"), i, r) json_object_set_new(
        r, "passed", json_boolean(json_integer_value(json_object_get(r, "passed"))));
    *json = ok ? json_dumps(s, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(s);
    if (ok && *json == NULL)
        return err_set(err, "class state: out of memory");
    return ok ? 0 : -1;
}

int class_store_state(struct class_store *st, char **json, struct err *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = state_locked(st, json, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int class_state_json(const char *db_path, char **json, struct err *err)
{
    struct class_store *st;
    if (class_store_open(&st, db_path, 1, err) != 0)
        return -1;
    int rc = class_store_state(st, json, err);
    if (rc != 0)
        err_prefix(err, "%s: ", db_path);
    class_store_close(st);
    return rc;
}
