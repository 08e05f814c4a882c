/* class_store.h - the class server's database: participants, runs, firsts.
 *
 * A class lasts a day and must survive the facilitator's laptop: a crash, a
 * Ctrl-C, a restart. So every accepted upload is a row in an SQLite database
 * (one file, WAL journal), committed before the server answers 201, and the
 * class code lives there too: the same file restarts the same class, with
 * the same join URL. Tables:
 *
 *     meta          key/value: the class code
 *     participants  name (unique), SHA-256 of the participant's token, joined
 *     runs          participant, exercise, passed, speedup, the card's checks
 *                   (JSON), the race's summary and accesses (JSON), the run
 *                   log (blob), at (unix seconds)
 *     firsts        the first passing run of each exercise
 *
 * A name belongs to the first token that used it; nothing is ever updated or
 * deleted, only inserted, so no participant can overwrite another's results.
 *
 * One connection per store, guarded by a mutex: the server answers from one
 * thread today, but the state builder is also called from tests and tools.
 *
 *     struct class_store *st;
 *     if (class_store_open(&st, "class.db", 0, &err) != 0) ...
 *     printf("code %s\n", class_store_code(st));
 *     ...
 *     class_store_close(st);
 */
#ifndef RETREAT_CLASS_STORE_H
#define RETREAT_CLASS_STORE_H

#include <stddef.h>

#include "class_upload.h"
#include "err.h"

#define CLASS_CODE_HEX 32          /* 128 random bits */
#define CLASS_MAX_PARTICIPANTS 500 /* a room, with spares; stops name flooding */
#define CLASS_RECENT_RUNS 20       /* runs listed on the page with their trace */

struct class_store;

/* Opens (creating if needed, unless read_only) the database at path. A new
 * database gets a fresh class code from getrandom(). */
int class_store_open(struct class_store **st, const char *path, int read_only, struct err *err);

void class_store_close(struct class_store *st);

/* The class code: CLASS_CODE_HEX lowercase hex digits. */
const char *class_store_code(const struct class_store *st);

/* Who is this? Finds the participant called name, or (if create) adds one
 * owned by token. Returns 0 with *id, or -1 with *status: 409 when the name
 * belongs to another token, 403 when the class is full, 500 when the
 * database fails; err says why in words for the participant. */
int class_store_identify(struct class_store *st, const char *name, const char *token, int create,
                         long *id, int *status, struct err *err);

/* Records one checked upload of participant id; *run is its number. */
int class_store_add_run(struct class_store *st, long id, const struct class_upload *up, long *run,
                        struct err *err);

/* The run log of a run. Returns 1 with a malloc'ed *data, 0 if there is no
 * such run (or it has no log), -1 on error. */
int class_store_runlog(struct class_store *st, long run, char **data, size_t *len, struct err *err);

/* Number of runs stored. */
long class_store_runs(struct class_store *st);

/* The class's state, as JSON: what the page draws and what
 * `retreat stream --class` shows (a contract with the stream: readers ignore
 * fields they do not know, so fields may be added, never changed):
 *
 *     {"updated": 1733330000,          unix seconds of the last run (0: none)
 *      "participants": 3,
 *      "leaderboard": [                most exercises passed, then best speedup
 *        {"name": "ann", "passed": 5, "best_speedup": 1.92, "best_exercise": "05-pool"}],
 *                                      (best_* null: no timed pass yet)
 *      "firsts": [                     first pass of each exercise, in ladder order
 *        {"exercise": "06-rows", "name": "ann", "at": 1733329000, "run": 12}],
 *      "latest_pass": {"name", "exercise", "at", "run", "speedup"} or null,
 *      "latest_race": {"name", "exercise", "at", "run", "summary",
 *                      "accesses": [{"what", "where", "file", "line", "source"}]} or null,
 *      "grid": {"ann": {"05-pool": true, "06-rows": false}},
 *                                      per exercise tried: passed in some run?
 *      "recent": [{"run", "name", "exercise", "passed", "speedup", "at"}]}
 *                                      the last CLASS_RECENT_RUNS runs, newest first
 *
 * Every string was cleaned on upload (class_clean_text). *json is malloc'ed. */
int class_store_state(struct class_store *st, char **json, struct err *err);

/* The same, straight from a database file, opened read-only: for
 * `retreat stream --class FILE.db` without a server. */
int class_state_json(const char *db_path, char **json, struct err *err);

#endif
