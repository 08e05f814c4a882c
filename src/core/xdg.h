/* xdg.h - where retreat keeps its files in a user's home: the XDG folders.
 *
 * The class token lives in the config folder, the comics' read state in
 * the state folder, the baseline copies of the workshop photos in the cache
 * folder. The XDG Base Directory spec says where each is: $XDG_CONFIG_HOME,
 * $XDG_STATE_HOME, $XDG_CACHE_HOME if set to an absolute path, else a
 * fixed folder under $HOME. Three copies of that rule had begun to drift,
 * so it lives here.
 *
 *     char path[PATH_MAX];
 *     if (xdg_path("XDG_CACHE_HOME", ".cache", "retreat/photos", path, sizeof path, &err) != 0 ||
 *         xdg_make_folder(path, &err) != 0)
 *         return -1;   // err says which variable, or which folder and why
 */
#ifndef RETREAT_XDG_H
#define RETREAT_XDG_H

#include <stddef.h>

#include "err.h"

/* Writes "$var/sub" into buf, or "$HOME/fallback/sub" when var is unset or
 * not absolute (the spec says a relative value is to be ignored). Fails if
 * neither is usable or the result does not fit in size bytes. */
int xdg_path(const char *var, const char *fallback, const char *sub, char *buf, size_t size,
             struct err *err);

/* mkdir -p of path itself, mode 0700 (the user's own files). */
int xdg_make_folder(const char *path, struct err *err);

/* mkdir -p of the folder that holds the file path, mode 0700. */
int xdg_make_parents(const char *path, struct err *err);

#endif
