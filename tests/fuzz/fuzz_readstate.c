/* fuzz_readstate.c - libFuzzer target: the read state of `retreat comics`.
 *
 * The state file (~/.local/state/retreat/read.txt) is ours, but it can be
 * damaged: a disk that filled up under another program, a hand edit, a
 * binary file at that path. readstate_load must then fail with a message or
 * load ids that keep the promises of readstate.h: non-empty, shorter than
 * READSTATE_ID_MAX, no newline - each found again by readstate_has. The input
 * is written to an in-memory file and loaded through /proc/self/fd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "readstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-readstate", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct readstate *rs;
    struct err err = {0};
    if (readstate_load(&rs, path, &err) == 0) {
        /* Every line of the input that loaded as an id is found again. */
        size_t found = 0;
        for (const uint8_t *p = data, *end = data + size; p < end;) {
            const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), idlen = len;
            while (idlen > 0 && p[idlen - 1] == '\r') /* the loader drops them too */
                idlen--;
            char id[READSTATE_ID_MAX];
            if (idlen > 0 && idlen < sizeof id && memchr(p, '\0', idlen) == NULL) {
                memcpy(id, p, idlen);
                id[idlen] = '\0';
                found += readstate_has(rs, id) == 1;
            }
            p += len + 1;
        }
        if (found < readstate_count(rs))
            abort(); /* an id came from nowhere */
        if (readstate_has(rs, "") != 0)
            abort();
        readstate_free(rs);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    close(fd);
    return 0;
}
