/* fuzz_feedlist.c - libFuzzer target: the feeds file of `retreat comics`.
 *
 * feedlist_parse splits a user's file into lines, trims them, and keeps the
 * http(s) URLs. Whatever the text, every kept URL must be an http(s) URL
 * shorter than FEED_URL_MAX and appear once, and every left-out line must
 * come with a problem message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "feedlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feedlist list;
    struct err err = {0};
    if (feedlist_parse((const char *)data, size, "feeds.txt", &list, &err) != 0) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    for (size_t i = 0; i < list.count; i++) {
        if (strlen(list.urls[i]) >= FEED_URL_MAX || !feed_is_http_url(list.urls[i]))
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(list.urls[i], list.urls[j]) == 0)
                abort();
    }
    for (size_t i = 0; i < list.nproblems; i++)
        if (strncmp(list.problems[i], "feeds.txt:", 10) != 0)
            abort();
    feedlist_free(&list);
    return 0;
}
