/* fuzz_class_upload.c - libFuzzer target: the class server's upload checks.
 *
 * Everything a participant's machine (or anyone holding the join URL) posts
 * to `retreat class` goes through class_upload_parse() or
 * class_upload_parse_join() before the database sees it, so they must hold
 * against any bytes. Checked on every input:
 *
 *   - a refusal has a status of 400 or 413 and a reason;
 *   - an accepted upload has a non-empty name of at most CLASS_NAME_MAX bytes
 *     with no control character, a token of CLASS_TOKEN_HEX hex digits, at
 *     most CLASS_ACCESS_MAX accesses, and a run log within CLASS_RUNLOG_MAX
 *     whose length is what strlen says;
 *   - class_clean_text() of the raw input, both ways, leaves no control
 *     character and stays within its buffer.
 *
 * The exercise list is empty (any NN-name id) on even-length inputs and a
 * one-exercise list on odd ones, so both paths are covered.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "class_upload.h"

static void check_clean(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct exercise one = {.number = 5, .id = "05-pool", .name = "pool"};
    struct class_upload up;
    struct err err = {{0}};
    int status = 0;
    if (class_upload_parse((const char *)data, size, &one, size % 2, &up, &status, &err) == 0) {
        size_t n = strlen(up.name);
        if (n == 0 || n > CLASS_NAME_MAX || strlen(up.token) != CLASS_TOKEN_HEX ||
            up.naccesses > CLASS_ACCESS_MAX || up.nchecks > CLASS_CHECKS_MAX ||
            up.runlog_len > CLASS_RUNLOG_MAX ||
            (up.runlog != NULL && strlen(up.runlog) != up.runlog_len))
            abort();
        check_clean(up.name);
        for (size_t i = 0; i < CLASS_TOKEN_HEX; i++)
            if (!isxdigit((unsigned char)up.token[i]))
                abort();
        for (size_t i = 0; i < up.naccesses; i++)
            check_clean(up.accesses[i].source);
        class_upload_free(&up);
    } else if ((status != 400 && status != 413) || err.msg[0] == '\0') {
        abort();
    }

    char name[CLASS_NAME_MAX + 1], token[CLASS_TOKEN_HEX + 1];
    err.msg[0] = '\0';
    if (class_upload_parse_join((const char *)data, size, name, token, &status, &err) == 0) {
        if (name[0] == '\0' || strlen(name) > CLASS_NAME_MAX)
            abort();
    } else if (err.msg[0] == '\0') {
        abort();
    }

    char *text = malloc(size + 1), out[64];
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (int layout = 0; layout < 2; layout++)
        if (class_clean_text(out, sizeof out, text, layout) >= sizeof out || (check_clean(out), 0))
            abort();
    free(text);
    return 0;
}
