/* fetch_events.c - exercise 13, reference: the event loop beneath asyncio.
 *
 * curl_multi_perform() (exercise 12) looks at every transfer on every turn of
 * the loop; with ten thousand transfers that is ten thousand checks to find
 * the three that are ready. Here the kernel tells us which ones are ready:
 *
 *  - libcurl tells us, through the socket callback, which sockets it wants
 *    watched and for what (read, write, nothing any more): we keep epoll's
 *    interest list in step with it;
 *  - libcurl tells us, through the timer callback, when it next needs to be
 *    called even if no socket is ready (connect timeouts, retries of its own);
 *  - we sleep in epoll_wait() and hand each ready socket - or the expired
 *    timer - to curl_multi_socket_action(), which moves only that transfer.
 *
 * That is what asyncio's event loop does over selectors, and what gevent does
 * over libev: one thread, thousands of transfers, no polling of idle ones.
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
 * what we assigned to s last time: non-NULL once s is in epoll's list. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    struct loop *l = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, s, NULL); /* fails harmlessly if closed */
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.fd = s;
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    if (socketp == NULL) {
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, s, &ev);
        curl_multi_assign(l->multi, s, l); /* any non-NULL pointer: "added" */
    } else {
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, s, &ev);
    }
    return 0;
}

/* libcurl: "call me back in timeout_ms" (-1: never mind). We only note it;
 * calling libcurl from inside its own callback is not allowed. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct loop *l = userp;
    l->timer_ns = timeout_ms < 0 ? 0 : clock_now_ns() + (uint64_t)timeout_ms * 1000000u;
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
    curl_multi_setopt(l.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(l.multi, CURLMOPT_SOCKETDATA, &l);
    curl_multi_setopt(l.multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(l.multi, CURLMOPT_TIMERDATA, &l);

    size_t active = 0, waiting = 0;
    for (size_t i = 0; i < job->count; i++) {
        if (fetch_xfer_init(&xs[i], job, i) != 0) {
            fetch_xfer_cleanup(&xs[i]);
            continue;
        }
        curl_multi_add_handle(l.multi, xs[i].easy); /* sets the timer to "now" */
        active++;
    }

    int running;
    while (active > 0) {
        /* Sleep until a socket is ready, libcurl's timer is due, or a retry
         * may start - whichever comes first. */
        long timeout = fetch_retry_add_due(l.multi, xs, job->count, &waiting);
        if (l.timer_ns != 0) {
            uint64_t now = clock_now_ns();
            long t = l.timer_ns > now ? (long)((l.timer_ns - now + 999999u) / 1000000u) : 0;
            if (t < timeout)
                timeout = t;
        }
        struct epoll_event evs[256];
        int n = epoll_wait(l.epfd, evs, 256, (int)timeout);

        for (int i = 0; i < n; i++) {
            int flags = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                        ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                        ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(l.multi, evs[i].data.fd, flags, &running);
        }
        /* The timer stays set: libcurl calls on_timer with its next timeout
         * once this one is handled, and does not call it if nothing changed
         * - so clearing it here could lose a timeout for good. */
        if (l.timer_ns != 0 && clock_now_ns() >= l.timer_ns)
            curl_multi_socket_action(l.multi, CURL_SOCKET_TIMEOUT, 0, &running);
        finish_done(&l, &active, &waiting);
    }

    for (size_t i = 0; i < job->count; i++)
        fetch_xfer_cleanup(&xs[i]);
    curl_multi_cleanup(l.multi);
    close(l.epfd);
    free(xs);
    return 0;
}
