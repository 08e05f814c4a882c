/* fetch_events.c - exercise 13: the event loop beneath asyncio.
 *
 * Read README.md in this folder first. Exercise 12's curl_multi_perform
 * looks at every transfer on every turn; with ten thousand transfers, that
 * is ten thousand checks to find the three that are ready. Here the kernel
 * says which are ready, and libcurl is told exactly which socket moved:
 *
 *  - the socket callback: libcurl says which sockets to watch, and for what;
 *    you keep epoll's interest list in step with it;
 *  - the timer callback: libcurl says when to call it even if no socket is
 *    ready; you note the time;
 *  - the loop sleeps in epoll_wait() and hands each ready socket, or the
 *    expired timer, to curl_multi_socket_action().
 *
 * Finished transfers are handled exactly as in exercise 12 (finish_done is
 * written for you; the retry backoff is fetch_retry.h's, as in 12).
 *
 * Grade it with `make exercise 13`.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "ladder.h"
#include "fetch_retry.h"

struct loop {
    CURLM *multi;
    int epfd;
    uint64_t timer_ns; /* when libcurl wants CURL_SOCKET_TIMEOUT; 0: no timer */
};

/* libcurl: "watch socket s for `what`" (or stop watching it). socketp is
 * what was assigned to s with curl_multi_assign: NULL until you add it. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy, (void)s, (void)what, (void)userp, (void)socketp;
    /* TODO: CURL_POLL_REMOVE: EPOLL_CTL_DEL s (it may be closed already:
     * ignore the error). Otherwise build an epoll_event with data.fd = s
     * and EPOLLIN / EPOLLOUT from CURL_POLL_IN / CURL_POLL_OUT; when
     * socketp is NULL, EPOLL_CTL_ADD it and curl_multi_assign(multi, s, l)
     * so next time you know it is there; else EPOLL_CTL_MOD. */
    return 0;
}

/* libcurl: "call me back in timeout_ms" (-1: never mind). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi, (void)timeout_ms, (void)userp;
    /* TODO: note in l->timer_ns when that is (0 for -1). Do not call
     * libcurl from here: its callbacks must not re-enter it. */
    return 0;
}

/* Hands every transfer libcurl has finished to its chain. */
static void finish_done(struct loop *l, size_t *active, size_t *waiting)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(l->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct fetch_xfer *x;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(l->multi, x->easy);
        if (fetch_xfer_done(x, rc) == 0) {
            fetch_xfer_cleanup(x);
            (*active)--;
        } else if (fetch_xfer_wait_ms(x) > 0) {
            fetch_retry_hold(x, waiting);
        } else {
            curl_multi_add_handle(l->multi, x->easy);
        }
    }
}

int fetch_events_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return -1;
    struct loop l = {.multi = curl_multi_init(), .epfd = epoll_create1(EPOLL_CLOEXEC)};
    struct fetch_xfer *xs = calloc(job->count ? job->count : 1, sizeof *xs);
    if (l.multi == NULL || l.epfd < 0 || xs == NULL) {
        curl_multi_cleanup(l.multi);
        if (l.epfd >= 0)
            close(l.epfd);
        free(xs);
        return -1;
    }
    /* TODO: set CURLMOPT_SOCKETFUNCTION / SOCKETDATA and CURLMOPT_TIMERFUNCTION
     * / TIMERDATA to on_socket, on_timer and &l. */

    size_t active = 0, waiting = 0;
    for (size_t i = 0; i < job->count; i++) {
        if (fetch_xfer_init(&xs[i], job, i) != 0) {
            fetch_xfer_cleanup(&xs[i]);
            continue;
        }
        curl_multi_add_handle(l.multi, xs[i].easy); /* sets the timer to "now" */
        active++;
    }

    while (active > 0) {
        long timeout = fetch_retry_add_due(l.multi, xs, job->count, &waiting);
        /* TODO: shorten timeout to when l.timer_ns is due, if it is set. */

        /* TODO: epoll_wait up to timeout ms; for each ready event, call
         * curl_multi_socket_action(l.multi, fd, flags, &running) with flags
         * CURL_CSELECT_IN / _OUT / _ERR from EPOLLIN / EPOLLOUT /
         * EPOLLERR|EPOLLHUP. */

        /* TODO: if the timer is due, curl_multi_socket_action with
         * CURL_SOCKET_TIMEOUT. Do not clear l.timer_ns: libcurl calls
         * on_timer with its next timeout, but only if it changed. */

        finish_done(&l, &active, &waiting);
        (void)timeout, (void)on_socket, (void)on_timer;
        break; /* TODO: remove this once the loop can end by itself */
    }

    for (size_t i = 0; i < job->count; i++)
        fetch_xfer_cleanup(&xs[i]);
    curl_multi_cleanup(l.multi);
    close(l.epfd);
    free(xs);
    return 0;
}
