/* readstate.h - which comics have been read: the state file of `retreat comics`.
 *
 * A flat text file, one comic per line (the link of its page), so that the
 * next run opens only what is new. It lives in the XDG state directory:
 * $XDG_STATE_HOME/retreat/read.txt, by default ~/.local/state/retreat/read.txt.
 *
 * Saving never leaves a half-written file under the real name: the whole
 * state goes to a temporary file in the same folder, which is fsync'ed and
 * then renamed over the old one (rename(2) is atomic), and the folder is
 * fsync'ed so the rename itself survives a power cut. A crash at any moment
 * leaves either the old state or the new one.
 *
 * Several runs may share one state file (two terminals, a cron job): each
 * save takes an exclusive lock (flock(2) on the folder holding the file,
 * since the file itself is replaced by every save), re-reads the file under
 * the lock and writes the union of what is there and what this run read.
 * So no run's comics are lost to another's save.
 *
 * The file never grows past what readstate_load accepts: a save that would
 * write more than READSTATE_MAX_BYTES drops the oldest ids first (they are
 * the least likely to show up in a feed again) and says how many it dropped
 * (readstate_dropped).
 *
 *     struct readstate *rs;
 *     if (readstate_load(&rs, path, &err) != 0) ...   // a missing file is empty
 *     if (!readstate_has(rs, link)) { open it; readstate_add(rs, link, &err); }
 *     readstate_save(rs, &err);
 *     readstate_free(rs);
 */
#ifndef RETREAT_READSTATE_H
#define RETREAT_READSTATE_H

#include <stddef.h>

#include "err.h"

#define READSTATE_MAX_BYTES (64u * 1024 * 1024) /* largest state file loaded */
#define READSTATE_ID_MAX 2048                   /* longest id kept */

struct readstate;

/* Writes the default state file path into buf (see above). Fails if neither
 * XDG_STATE_HOME nor HOME is set to an absolute path, or it does not fit. */
int readstate_default_path(char *buf, size_t size, struct err *err);

/* Loads the state file at path; a file that does not exist yet is an empty
 * state. Fails, naming the file, if it cannot be read, is too large or is not
 * a text file of lines. */
int readstate_load(struct readstate **rs, const char *path, struct err *err);

/* 1 if id has been read. */
int readstate_has(const struct readstate *rs, const char *id);

/* Marks id read (in memory; see readstate_save). Ids that are empty, too long
 * or contain a newline are refused. Adding an id again does nothing. */
int readstate_add(struct readstate *rs, const char *id, struct err *err);

/* The number of ids read. */
size_t readstate_count(const struct readstate *rs);

/* Writes the state atomically to the path it was loaded from, creating the
 * missing folders on the way (mode 0700: what you read is private). Under
 * the lock, ids saved meanwhile by another run are merged in (rs gains them
 * too), and the oldest ids are dropped if the file would exceed
 * READSTATE_MAX_BYTES (rs loses them too; see readstate_dropped). */
int readstate_save(struct readstate *rs, struct err *err);

/* How many of the oldest ids the last readstate_save dropped to keep the
 * file within READSTATE_MAX_BYTES (0 almost always). */
size_t readstate_dropped(const struct readstate *rs);

/* Frees the state; safe on NULL. */
void readstate_free(struct readstate *rs);

#endif
