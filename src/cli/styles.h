/* styles.h - the style tables: every way retreat knows to blur or to fetch.
 *
 * The reference solutions of exercises 02-08 are the styles: `retreat blur
 * --style pool` runs the same pool_run() that `make solution 5` grades. This
 * table gives each one a name (the one in exercises/exercises.txt and in the
 * run log), its exercise number, a one-line summary for --help and the stream
 * overlay, and the function that runs it (see ladder.h).
 *
 * The table is in ladder order, simplest first, so "linear" - the baseline of
 * every speedup - is always styles[0]. After the ladder come the styles that
 * are beyond it (`beyond` set, exercise 0): library code that goes past what
 * a learner writes, such as "expert" (blur_expert.h), shown with the label
 * STYLES_BEYOND. It ends with an entry whose name is NULL, like the command
 * table in commands.h:
 *
 *     for (const struct style *s = styles; s->name != NULL; s++)
 *         printf("%-10s %s\n", s->name, s->summary);
 *
 *     const struct style *s;
 *     if (styles_lookup(name, &s, &err) != 0)
 *         fprintf(stderr, "retreat: %s\n", err.msg);   // lists the known names
 *     else
 *         s->run(&batch);
 *
 * Commands that run styles on a user's files (retreat blur, retreat bench)
 * go through styles_run(), which adds a progress bar and measures the run,
 * after checking the output folder with the two functions at the end.
 */
#ifndef RETREAT_STYLES_H
#define RETREAT_STYLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "batch.h"
#include "err.h"
#include "style.h"

/* How commands label a style that is beyond the ladder. */
#define STYLES_BEYOND "beyond the ladder"

/* The styles in ladder order; the last entry has name == NULL. */
extern const struct style styles[];

/* Number of styles in the table (not counting the terminator). */
size_t styles_count(void);

/* The style called name, or NULL if there is none. */
const struct style *styles_find(const char *name);

/* Like styles_find, but fails with a message that names the unknown style and
 * lists the known ones: "unknown style 'x'; known styles: linear, ...". */
int styles_lookup(const char *name, const struct style **out, struct err *err);

/* Writes the known names, comma separated, into buf (truncated to cap). */
void styles_names(char *buf, size_t cap);

/* Prints one line per style, "<indent><name>  <summary>", for --help; the
 * summaries of the styles beyond the ladder start with STYLES_BEYOND. */
void styles_print(FILE *out, const char *indent);

/* What one run of a style measured. */
struct style_run {
    int rc;                    /* the run function's return: -1 if the style could not run */
    double wall_s;             /* from the call of the run function to its return */
    double cpu_s;              /* user + system CPU time of this process and the children it
                                  reaped meanwhile (the processes style works in children) */
    uint64_t start_ns, end_ns; /* the run on the monotonic clock: its spans lie within */
};

/* Runs style s on batch b, with b->style set to s->name, and measures it.
 * On a terminal it draws a progress bar on stderr, fed from b->log, which
 * should then be an in-memory log (see progress.h); a program that draws its
 * own screen calls s->run(b) instead. Returns the run function's result. */
int styles_run(const struct style *s, struct blur_batch *b, struct style_run *m);

/* --- Before a run: the output folder ------------------------------------- */

/* Creates the output folder if it is missing (not its parents); an existing
 * folder is fine, an existing file is not. */
int styles_make_out_dir(const char *dir, struct err *err);

/* Refuses a batch that would write a result over one of its own inputs, as
 * `retreat blur -o . photo.png` would (the original photo would be lost), or
 * two results to one name, as a/cat.png and b/cat.png would. */
int styles_check_overwrite(const struct blur_batch *b, struct err *err);

/* --- The fetch styles ----------------------------------------------------- */

/* The fetch styles in ladder order; the last entry has name == NULL. */
extern const struct fetch_style fetch_styles[];

/* The style called name ("fetch-multi"; "multi" works too), or NULL. */
const struct fetch_style *fetch_style_find(const char *name);

/* Like fetch_style_find, but fails with a message naming the unknown style
 * and listing the known ones. */
int fetch_style_lookup(const char *name, const struct fetch_style **out, struct err *err);

#endif
