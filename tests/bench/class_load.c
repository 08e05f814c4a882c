/* class_load.c - a room of participants posting grade cards to a class server.
 *
 *     build/bench/class_load URL [PARTICIPANTS [CARDS]]    (default 200 14)
 *
 * Run by tests/bench/class_load.sh against `retreat class` on loopback. Each
 * simulated participant posts CARDS cards one after another (one per
 * exercise, 01 to 14, each with a run log of 60 spans, about 9 KiB; every
 * third a failed races line with its accesses), as `make exercise N` would;
 * all participants post at once through one libcurl multi handle. The loop is
 * bounded: every post is sent exactly once and answered or failed, then the
 * program ends. Prints sent, accepted (201), refused (4xx/5xx), failed (no
 * answer) and the post latency at p50 and p99. Exit status 0 if every post
 * was accepted.
 *
 * The class's rate limit (a burst of CLASS_RATE_BURST posts, then
 * CLASS_RATE_PER_MIN a minute) is above CARDS, so the bench needs no pacing;
 * with CARDS above the burst, posts would come back 429 and be counted as
 * refused, never lost silently.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "class_server.h"
#include "class_upload.h"

static const char *const exercises[] = {
    "01-kernel",     "02-linear",      "03-processes",    "04-threads",      "05-pool",
    "06-rows",       "07-pipeline",    "08-fast",         "09-fetch-linear", "10-fetch-threads",
    "11-fetch-pool", "12-fetch-multi", "13-fetch-events", "14-capstone"};
#define NEXERCISES (sizeof exercises / sizeof exercises[0])
#define SPANS 60

struct participant {
    unsigned id, next; /* cards posted so far */
    char *body;
    CURL *h;
    struct curl_slist *headers;
};

static size_t discard(char *data, size_t size, size_t n, void *userp)
{
    (void)data;
    (void)userp;
    return size * n;
}

/* The JSON of card k of participant p. */
static char *card(const struct participant *p, unsigned k)
{
    size_t cap = 64 * 1024, n = 0;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    int race = k % 3 == 2;
    n += (size_t)snprintf(s + n, cap - n,
                          "{\"name\":\"p%03u\",\"token\":\"%064x\",\"exercise\":\"%s\","
                          "\"file\":\"x.c\",\"checks\":[{\"check\":\"correct\",\"mark\":\"pass\","
                          "\"text\":\"ok\"}%s,{\"check\":\"speedup\",\"mark\":\"info\","
                          "\"text\":\"x\"}],\"speedup\":%.2f",
                          p->id, p->id + 1, exercises[k % NEXERCISES],
                          race ? ",{\"check\":\"races\",\"mark\":\"fail\",\"text\":\"data race: "
                                 "write in worker() at x.c:24 (thread T2) and earlier read in "
                                 "worker() at x.c:22 (thread T1)\"}"
                               : "",
                          1.0 + (double)((p->id * 7 + k) % 100) / 50.0);
    if (race)
        n += (size_t)snprintf(s + n, cap - n,
                              ",\"accesses\":[{\"what\":\"write\",\"where\":\"worker()\",\"file\":"
                              "\"x.c\",\"line\":24,\"source\":\"    p->next++;\"},{\"what\":"
                              "\"earlier read\",\"where\":\"worker()\",\"file\":\"x.c\",\"line\":"
                              "22,\"source\":\"    size_t i = p->next;\"}]");
    n += (size_t)snprintf(s + n, cap - n, ",\"runlog\":\"");
    for (unsigned i = 0; i < SPANS && n + 512 < cap; i++)
        n += (size_t)snprintf(s + n, cap - n,
                              "{\\\"style\\\":\\\"pool\\\",\\\"item\\\":\\\"img%02u.png\\\","
                              "\\\"phase\\\":\\\"blur\\\",\\\"index\\\":%u,\\\"worker\\\":%u,"
                              "\\\"pid\\\":1,\\\"start_ns\\\":%u,\\\"end_ns\\\":%u,"
                              "\\\"ok\\\":true}\\n",
                              i, i, 100 + i % 4, i * 1000, i * 1000 + 900);
    snprintf(s + n, cap - n, "\"}");
    return s;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Starts participant p's next post on the multi handle; 0 if none is left. */
static int start_next(CURLM *multi, struct participant *p, unsigned cards, const char *url)
{
    if (p->next == cards)
        return 0;
    free(p->body);
    p->body = card(p, p->next++);
    if (p->body == NULL)
        return 0;
    curl_easy_reset(p->h);
    curl_easy_setopt(p->h, CURLOPT_URL, url);
    curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(p->h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(p->h, CURLOPT_PRIVATE, p);
    curl_multi_add_handle(multi, p->h);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: class_load URL [PARTICIPANTS [CARDS]]\n");
        return 2;
    }
    unsigned count = argc > 2 ? (unsigned)atoi(argv[2]) : 200;
    unsigned cards = argc > 3 ? (unsigned)atoi(argv[3]) : 14;
    if (count == 0 || count > 10000 || cards == 0 || cards > 1000) {
        fprintf(stderr, "class_load: PARTICIPANTS 1-10000, CARDS 1-1000\n");
        return 2;
    }
    char url[CLASS_URL_MAX + 32];
    snprintf(url, sizeof url, "%sapi/upload", argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    /* One connection per participant, as on the day. */
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)count);
    struct participant *ps = calloc(count, sizeof *ps);
    double *latency = calloc((size_t)count * cards, sizeof *latency);
    if (multi == NULL || ps == NULL || latency == NULL) {
        fprintf(stderr, "class_load: out of memory\n");
        return 1;
    }
    unsigned long sent = 0, accepted = 0, refused = 0, failed = 0, active = 0;
    int running = 0;
    for (unsigned i = 0; i < count; i++) {
        ps[i].id = i;
        ps[i].h = curl_easy_init();
        ps[i].headers = curl_slist_append(NULL, "Content-Type: application/json");
        sent += (unsigned long)start_next(multi, &ps[i], cards, url);
    }
    active = sent; /* handles on the multi handle: the loop ends at 0 */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct participant *p;
            long status = 0;
            curl_off_t us = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&p);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(m->easy_handle, CURLINFO_TOTAL_TIME_T, &us);
            if (m->data.result != CURLE_OK) {
                failed++;
            } else if (status == 201) {
                latency[accepted++] = (double)us / 1000.0;
            } else {
                refused++;
                if (refused <= 5)
                    fprintf(stderr, "class_load: p%03u card %u: HTTP %ld\n", p->id, p->next,
                            status);
            }
            curl_multi_remove_handle(multi, m->easy_handle);
            active--;
            int more = start_next(multi, p, cards, url);
            sent += (unsigned long)more;
            active += (unsigned long)more;
        }
        if (active > 0)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    } while (active > 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    qsort(latency, accepted, sizeof *latency, by_value);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("participants %u, cards each %u\n", count, cards);
    printf("sent %lu accepted %lu refused %lu failed %lu\n", sent, accepted, refused, failed);
    if (accepted > 0)
        printf("latency_ms p50 %.1f p99 %.1f max %.1f\n", latency[accepted / 2],
               latency[(size_t)((double)(accepted - 1) * 0.99)], latency[accepted - 1]);
    printf("wall_s %.2f posts_per_s %.0f\n", wall, (double)accepted / wall);
    for (unsigned i = 0; i < count; i++) {
        curl_easy_cleanup(ps[i].h);
        curl_slist_free_all(ps[i].headers);
        free(ps[i].body);
    }
    free(ps);
    free(latency);
    curl_multi_cleanup(multi);
    return accepted == (unsigned long)count * cards ? 0 : 1;
}
