/* linear.c - exercise 02, reference solution: one image after the other.
 *
 * The baseline every other style is measured against. Nothing runs at the
 * same time as anything else, so there is nothing to get wrong - and nothing
 * to gain from the second core. The one rule: a bad file is that file's
 * problem. batch_process() records why it failed in b->results[i], and the
 * loop carries on with the next one.
 */
#include "ladder.h"

int linear_run(const struct blur_batch *b)
{
    for (size_t i = 0; i < b->count; i++)
        batch_process(b, i); /* a failure is already in b->results[i] */
    return 0;
}
