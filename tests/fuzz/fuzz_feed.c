/* fuzz_feed.c - libFuzzer target: RSS and Atom feeds through feed_parse.
 *
 * A feed is whatever a web server sent us. feed_parse hands it to libxml2
 * (not instrumented here: only retreat's own code gets coverage) and then
 * walks the tree, resolves links and compares dates. Whatever the bytes,
 * it must fail with a message or produce an entry whose strings are
 * NUL-terminated and whose link is an absolute http(s) URL, as feed.h promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feed_entry e;
    struct err err = {0};
    if (feed_parse((const char *)data, size, "http://127.0.0.1:8080/feed/3.xml", &e, &err) != 0) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    if (!TERMINATED(e.feed_title) || !TERMINATED(e.title) || !TERMINATED(e.link) ||
        !TERMINATED(e.image) || !TERMINATED(e.id))
        abort();
    if (!feed_is_http_url(e.link) || (e.image[0] != '\0' && !feed_is_http_url(e.image)))
        abort();
    if (e.format != FEED_RSS && e.format != FEED_ATOM)
        abort();
    return 0;
}
