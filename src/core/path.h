/* path.h - the file name part of a path, one definition for everyone.
 *
 * Run logs, output files and the stream name an image by its file name
 * ("cat.png" for "photos/cat.png"). That one line was copied into seven
 * files; copies drift, so it lives here.
 *
 *     runlog_begin(&s, b->style, path_base_name(b->inputs[i]), (long)i, "blur");
 */
#ifndef RETREAT_PATH_H
#define RETREAT_PATH_H

/* The part of path after its last '/' (all of it if it has none): a pointer
 * into path, not a copy. "a/b.png" -> "b.png"; "a/" -> "". */
const char *path_base_name(const char *path);

#endif
