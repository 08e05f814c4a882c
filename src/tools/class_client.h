/* class_client.h - the participant's side of class mode: join, post, queue.
 *
 * `retreat join URL` saves the class's URL, a display name and a random
 * token in $XDG_CONFIG_HOME/retreat/class (else ~/.config/retreat/class),
 * mode 0600. From then on every `make exercise N` ends with one call,
 * class_client_after_grade(), which posts the card and its run log to the
 * class and prints one line saying so. Without that file nothing is sent and
 * nothing is printed. A class that cannot be reached never fails or delays a
 * grade for long (2 s to connect, 5 s in all): the upload is queued in
 * $XDG_STATE_HOME/retreat/outbox/ (else ~/.local/state/retreat/outbox/) and
 * sent, oldest first, before the next card. `retreat leave` removes the file.
 *
 *     struct class_config c;
 *     if (class_client_join("http://10.0.0.5:8080/c/CODE/", "ann", &c, &err) != 0) ...
 *     ...
 *     class_client_after_grade(&card, stdout);    // in cmd_grade.c
 */
#ifndef RETREAT_CLASS_CLIENT_H
#define RETREAT_CLASS_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#include "class_server.h"
#include "class_upload.h"
#include "err.h"
#include "grade.h"

#define CLASS_OUTBOX_MAX 100 /* queued uploads kept; more are dropped, said so */
#define CLASS_CONNECT_TIMEOUT_MS 2000
#define CLASS_TOTAL_TIMEOUT_MS 5000

struct class_config {
    char url[CLASS_URL_MAX]; /* http://HOST:PORT/c/CODE/ */
    char name[CLASS_NAME_MAX + 1];
    char token[CLASS_TOKEN_HEX + 1];
};

/* Where the config file is: $XDG_CONFIG_HOME/retreat/class, or
 * $HOME/.config/retreat/class. -1 if neither variable is set. */
int class_config_path(char *buf, size_t size, struct err *err);

/* Reads the config: 1 joined (c filled), 0 not joined, -1 unreadable. */
int class_config_load(struct class_config *c, struct err *err);

/* Writes the config (folders made as needed, file mode 0600, atomically). */
int class_config_save(const struct class_config *c, struct err *err);

/* Removes the config: 1 removed, 0 there was none, -1 error. */
int class_config_remove(struct err *err);

/* Checks a join URL (http://HOST[:PORT]/c/<32 hex>[/]) and writes it with
 * its trailing slash into out. */
int class_url_check(const char *url, char *out, size_t size, struct err *err);

/* Joins: makes a token (getrandom), asks the class to bind name to it
 * (409: the name is taken) and saves the config. The name kept is the one
 * the class cleaned. */
int class_client_join(const char *url, const char *name, struct class_config *c, struct err *err);

/* The two accesses of a races line ("data race: write in worker() at
 * pool.c:24 (thread T2) and earlier read in worker() at pool.c:22 ..."),
 * each with line `line` of source_path quoted when source_path's base name
 * is the access's file. Returns how many were found (0 to CLASS_ACCESS_MAX). */
size_t class_races_accesses(const char *text, const char *source_path,
                            struct class_access acc[CLASS_ACCESS_MAX]);

/* The upload of a card, as JSON (class_upload.h); the run log at
 * card->runlog, if any, goes in up to CLASS_RUNLOG_MAX bytes of whole lines.
 * *json is malloc'ed. */
int class_client_upload_json(const struct grade_card *card, const struct class_config *c,
                             char **json, struct err *err);

/* Sends json to the class of c, queued ones first. Prints one line on out:
 * sent, queued, or refused with the class's reason. Returns 0 sent, 1
 * queued (unreachable), -1 refused or not even queued. */
int class_client_send(const struct class_config *c, const char *json, FILE *out);

/* The hook of `retreat grade`: if joined, builds the upload of card and
 * sends it (class_client_send). Never fails the grade: whatever goes wrong
 * is one line on out. Not joined: does nothing, prints nothing. */
void class_client_after_grade(const struct grade_card *card, FILE *out);

#endif
