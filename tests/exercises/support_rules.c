/* support_rules.c - the fetch READMEs' warnings, checked; see support_rules.h.
 *
 * Each wrapper forwards to the real function (reached through the linker's
 * --wrap) and, while a run is watched, keeps just enough state to tell
 * whether a call came in the order libcurl and fetch.h ask for: which easy
 * handles are in a multi handle, the last CURLMsg read for each, and how many
 * threads the style started and has not joined.
 */
#include "support_rules.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "fetch.h"

CURLMcode __real_curl_multi_add_handle(CURLM *multi, CURL *easy);
CURLMcode __real_curl_multi_remove_handle(CURLM *multi, CURL *easy);
CURLMsg *__real_curl_multi_info_read(CURLM *multi, int *left);
CURLSHcode __real_curl_share_cleanup(CURLSH *share);
int __real_fetch_xfer_done(struct fetch_xfer *x, CURLcode rc);
void __real_fetch_xfer_cleanup(struct fetch_xfer *x);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
CURLMcode __wrap_curl_multi_add_handle(CURLM *multi, CURL *easy);
CURLMcode __wrap_curl_multi_remove_handle(CURLM *multi, CURL *easy);
CURLMsg *__wrap_curl_multi_info_read(CURLM *multi, int *left);
CURLSHcode __wrap_curl_share_cleanup(CURLSH *share);
int __wrap_fetch_xfer_done(struct fetch_xfer *x, CURLcode rc);
void __wrap_fetch_xfer_cleanup(struct fetch_xfer *x);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __wrap_pthread_join(pthread_t t, void **ret);

#define HANDLES 256 /* more easy handles than any test has URLs */

struct handle {
    CURL *easy;      /* NULL: a free slot */
    int in_multi;    /* added and not removed */
    CURLMsg *msg;    /* the last message read for it, until it is handled */
    CURLcode result; /* that message's result, kept before it is poisoned */
};

/* The one watched run of this process. Global because the wrappers have no
 * other way in; a Criterion test runs in a process of its own. */
static struct {
    pthread_mutex_t lock;
    int watching;
    char broken[ERR_MSG_MAX];
    long threads_live; /* pthread_create'd and not joined, while watching */
    double cpu0;
    struct handle h[HANDLES];
} rules = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void support_rules_begin(void)
{
    pthread_mutex_lock(&rules.lock);
    rules.watching = 1;
    rules.broken[0] = '\0';
    rules.threads_live = 0;
    memset(rules.h, 0, sizeof rules.h);
    rules.cpu0 = cpu_now();
    pthread_mutex_unlock(&rules.lock);
}

void support_rules_end(struct support_rules_seen *seen)
{
    pthread_mutex_lock(&rules.lock);
    rules.watching = 0;
    snprintf(seen->broken, sizeof seen->broken, "%s", rules.broken);
    seen->cpu_seconds = cpu_now() - rules.cpu0;
    pthread_mutex_unlock(&rules.lock);
}

/* Called with the lock held. */
static void broke(const char *msg)
{
    if (rules.broken[0] == '\0')
        snprintf(rules.broken, sizeof rules.broken, "%s", msg);
}

/* The slot of easy, made if make; NULL if none. Called with the lock held. */
static struct handle *slot(CURL *easy, int make)
{
    struct handle *free_slot = NULL;
    for (size_t i = 0; i < HANDLES; i++) {
        if (rules.h[i].easy == easy)
            return &rules.h[i];
        if (rules.h[i].easy == NULL && free_slot == NULL)
            free_slot = &rules.h[i];
    }
    if (make && free_slot != NULL) {
        memset(free_slot, 0, sizeof *free_slot);
        free_slot->easy = easy;
    }
    return make ? free_slot : NULL;
}

CURLMcode __wrap_curl_multi_add_handle(CURLM *multi, CURL *easy)
{
    CURLMcode rc = __real_curl_multi_add_handle(multi, easy);
    pthread_mutex_lock(&rules.lock);
    struct handle *h = rules.watching && rc == CURLM_OK ? slot(easy, 1) : NULL;
    if (h != NULL) {
        h->in_multi = 1;
        h->msg = NULL;
    }
    pthread_mutex_unlock(&rules.lock);
    return rc;
}

CURLMsg *__wrap_curl_multi_info_read(CURLM *multi, int *left)
{
    CURLMsg *m = __real_curl_multi_info_read(multi, left);
    pthread_mutex_lock(&rules.lock);
    struct handle *h =
        rules.watching && m != NULL && m->msg == CURLMSG_DONE ? slot(m->easy_handle, 1) : NULL;
    if (h != NULL) {
        h->msg = m;
        h->result = m->data.result;
    }
    pthread_mutex_unlock(&rules.lock);
    return m;
}

CURLMcode __wrap_curl_multi_remove_handle(CURLM *multi, CURL *easy)
{
    CURLMcode rc = __real_curl_multi_remove_handle(multi, easy);
    pthread_mutex_lock(&rules.lock);
    struct handle *h = rules.watching ? slot(easy, 0) : NULL;
    if (h != NULL) {
        h->in_multi = 0;
        /* The message is dead now (libcurl's documentation of
         * curl_multi_info_read): make reading it show. */
        if (h->msg != NULL)
            h->msg->data.result = (CURLcode)SUPPORT_RULES_POISON;
    }
    pthread_mutex_unlock(&rules.lock);
    return rc;
}

int __wrap_fetch_xfer_done(struct fetch_xfer *x, CURLcode rc)
{
    pthread_mutex_lock(&rules.lock);
    struct handle *h = rules.watching ? slot(x->easy, 0) : NULL;
    if (h != NULL && h->in_multi)
        broke("fetch_xfer_done() was called on a handle still in the multi handle: call "
              "curl_multi_remove_handle() first, then fetch_xfer_done() (fetch.h) - it sets "
              "up the next request on that handle, which libcurl must not be running");
    if (rc == (CURLcode)SUPPORT_RULES_POISON) {
        broke("the CURLMsg was read after curl_multi_remove_handle(), which ends its life: "
              "copy m->data.result (and m->easy_handle) before removing the handle");
        if (h != NULL)
            rc = h->result; /* the run goes on as it would have */
    }
    if (h != NULL)
        h->msg = NULL;
    pthread_mutex_unlock(&rules.lock);
    return __real_fetch_xfer_done(x, rc);
}

void __wrap_fetch_xfer_cleanup(struct fetch_xfer *x)
{
    pthread_mutex_lock(&rules.lock);
    struct handle *h = rules.watching && x->easy != NULL ? slot(x->easy, 0) : NULL;
    if (h != NULL)
        memset(h, 0, sizeof *h); /* its address may be a new handle's next */
    pthread_mutex_unlock(&rules.lock);
    __real_fetch_xfer_cleanup(x);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    int rc = __real_pthread_create(t, attr, fn, arg);
    pthread_mutex_lock(&rules.lock);
    rules.threads_live += rules.watching && rc == 0;
    pthread_mutex_unlock(&rules.lock);
    return rc;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    int rc = __real_pthread_join(t, ret);
    pthread_mutex_lock(&rules.lock);
    if (rules.watching && rc == 0 && rules.threads_live > 0)
        rules.threads_live--;
    pthread_mutex_unlock(&rules.lock);
    return rc;
}

CURLSHcode __wrap_curl_share_cleanup(CURLSH *share)
{
    pthread_mutex_lock(&rules.lock);
    long live = rules.watching ? rules.threads_live : 0;
    if (live > 0) {
        char msg[ERR_MSG_MAX];
        snprintf(msg, sizeof msg,
                 "curl_share_cleanup() was called while %ld thread(s) you started were not yet "
                 "joined: they may still use the share handle. Join every worker first, then "
                 "clean up the share",
                 live);
        broke(msg);
        pthread_mutex_unlock(&rules.lock);
        /* The mistake is recorded; freeing the share now would let the
         * workers use freed memory, and what that does - a crash, a lock
         * that never opens - is chance, and would hide the message. So the
         * share is left alive (a leak in this test's process only) and the
         * run goes on to report it. */
        return CURLSHE_OK;
    }
    pthread_mutex_unlock(&rules.lock);
    CURLSHcode rc = __real_curl_share_cleanup(share);
    if (rc == CURLSHE_IN_USE) {
        pthread_mutex_lock(&rules.lock);
        if (rules.watching)
            broke("curl_share_cleanup() returned CURLSHE_IN_USE: an easy handle still used "
                  "the share, so it was not freed. Join the workers (and clean up their "
                  "handles) first, and check what curl_share_cleanup() returns");
        pthread_mutex_unlock(&rules.lock);
    }
    return rc;
}
