/* fuzz_hang.c - libFuzzer target: the grader's readers of gdb's stacks and
 * of a sanitizer's allocation report.
 *
 * grade_hang_describe reads gdb's output for a program built from the
 * participant's file - its function names, file names and memory are the
 * participant's - and grade_limits_alloc_parse reads a sanitizer report mixed
 * with the program's own output. Both must stay within the buffer they are
 * given (small ones here, so truncation paths run) and leave a
 * NUL-terminated sentence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* Exactly-sized heap buffers: ASan catches a write one byte past them. */
    size_t caps[] = {1, 40, GRADE_TEXT_MAX};
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        char *buf = malloc(caps[k]);
        if (buf == NULL)
            break;
        int n = grade_hang_describe(text, "pool.c", buf, caps[k]);
        if (n < 0 || memchr(buf, '\0', caps[k]) == NULL)
            abort();
        buf[0] = '\0';
        int found = grade_limits_alloc_parse(text, "pool.c", buf, caps[k]);
        if ((found != 0 && found != 1) || memchr(buf, '\0', caps[k]) == NULL)
            abort();
        free(buf);
    }
    free(text);
    return 0;
}
