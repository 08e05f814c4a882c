/* fetch_styles.c - the table of fetch styles: every way retreat knows to fetch.
 *
 * The reference solutions of exercises 09-13 are the styles: `retreat fetch
 * --style fetch-pool` runs the same fetch_pool_run() that `make solution 11`
 * grades. The table is in ladder order, simplest first.
 */
#include <stdio.h>
#include <string.h>

#include "ladder.h"
#include "styles.h"

const struct fetch_style fetch_styles[] = {
    {"fetch-linear", 9, "one easy handle, one URL after another", fetch_linear_run, 0},
    {"fetch-threads", 10, "one thread per URL", fetch_threads_run, 0},
    {"fetch-pool", 11, "a bounded pool of threads sharing a DNS cache", fetch_pool_run, 1},
    {"fetch-multi", 12, "one thread driving curl_multi_poll", fetch_multi_run, 0},
    {"fetch-events", 13, "curl_multi_socket_action over epoll", fetch_events_run, 0},
    {NULL, 0, NULL, NULL, 0},
};

const struct fetch_style *fetch_style_find(const char *name)
{
    for (const struct fetch_style *s = fetch_styles; s->name != NULL; s++) {
        /* "multi" is accepted for "fetch-multi": the prefix is implied. */
        if (strcmp(name, s->name) == 0 || strcmp(name, s->name + strlen("fetch-")) == 0)
            return s;
    }
    return NULL;
}

int fetch_style_lookup(const char *name, const struct fetch_style **out, struct err *err)
{
    *out = fetch_style_find(name);
    if (*out != NULL)
        return 0;
    char names[256] = "";
    for (const struct fetch_style *s = fetch_styles; s->name != NULL; s++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                 s == fetch_styles ? "" : ", ", s->name);
    return err_set(err, "unknown fetch style '%s'; known styles: %s", name, names);
}
