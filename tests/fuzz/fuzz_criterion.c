/* fuzz_criterion.c - libFuzzer target: the grader's reader of Criterion JSON.
 *
 * The report is written by a test binary linked with the participant's code,
 * which can print anything into it (a crash mid-write, an assertion message
 * with quotes). grade_criterion_parse first repairs the text line by line and
 * then parses it with jansson; both steps must survive any bytes, and every
 * suite read must have NUL-terminated names and messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1);
    if (json == NULL)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    struct grade_suite *suites;
    size_t count;
    struct err err = {0};
    if (grade_criterion_parse(json, &suites, &count, &err) == 0) {
        for (size_t i = 0; i < count; i++) {
            const struct grade_suite *s = &suites[i];
            if (memchr(s->name, '\0', sizeof s->name) == NULL ||
                memchr(s->failing_test, '\0', sizeof s->failing_test) == NULL ||
                memchr(s->message, '\0', sizeof s->message) == NULL)
                abort();
            if (grade_criterion_find(suites, count, s->name) == NULL)
                abort();
        }
        free(suites);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    free(json);
    return 0;
}
