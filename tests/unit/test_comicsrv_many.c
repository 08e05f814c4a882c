/* test_comicsrv_many.c - the comic server holds 10,000 delayed requests at once.
 *
 * Delays are suspended connections, not sleeping threads, so the number of
 * requests waiting together is bounded by descriptors, not by threads. Here a
 * child process opens COUNT connections to loopback and sends a delayed
 * request on each; the server must hold them all waiting at the same time
 * (comicsrv_waiting() reaches COUNT), then answer every one with 200.
 *
 * Each side needs COUNT descriptors, so they live in two processes: the hard
 * limit of one (20,000 on Debian's default) would not fit both.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "comicsrv.h"

#define COUNT 10000
#define DELAY_MS 8000 /* longer than opening COUNT connections takes */
#define CLIENT_SECONDS 60
#define STR_(x) #x
#define STR(x) STR_(x)

struct client_conn {
    int fd;
    int sent;
    char head[13]; /* "HTTP/1.1 200" */
    size_t got;
};

/* The child: COUNT non-blocking connections driven by one epoll loop.
 * Returns how many were answered 200. */
static unsigned run_client(unsigned port)
{
    static struct client_conn conns[COUNT];
    const char request[] = "GET /feed/0.xml?latency=" STR(
        DELAY_MS) " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    int ep = epoll_create1(0);
    if (ep < 0)
        return 0;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    unsigned open = 0, ok = 0;
    for (unsigned i = 0; i < COUNT; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0)
            break;
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
            close(fd);
            break;
        }
        conns[i] = (struct client_conn){.fd = fd};
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        open++;
    }
    uint64_t deadline = clock_now_ns() + (uint64_t)CLIENT_SECONDS * 1000000000u;
    struct epoll_event evs[256];
    unsigned left = open;
    while (left > 0 && clock_now_ns() < deadline) {
        int n = epoll_wait(ep, evs, 256, 1000);
        for (int k = 0; k < n; k++) {
            struct client_conn *c = &conns[evs[k].data.u32];
            if ((evs[k].events & EPOLLOUT) && !c->sent) {
                c->sent = send(c->fd, request, sizeof request - 1, MSG_NOSIGNAL) ==
                          (ssize_t)(sizeof request - 1);
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[k].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                continue;
            }
            char buf[4096];
            ssize_t got = read(c->fd, buf, sizeof buf);
            if (got > 0) {
                size_t take = (size_t)got < 12 - c->got ? (size_t)got : 12 - c->got;
                memcpy(c->head + c->got, buf, take);
                c->got += take;
                continue;
            }
            if (got < 0 && errno == EAGAIN)
                continue;
            ok += c->got == 12 && memcmp(c->head, "HTTP/1.1 200", 12) == 0;
            close(c->fd);
            left--;
        }
    }
    close(ep);
    return ok;
}

Test(comicsrv_many, holds_ten_thousand_delayed_requests, .timeout = 120)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max < COUNT + 100)
        cr_skip_test("RLIMIT_NOFILE hard limit %lu is below %d", (unsigned long)rl.rlim_max,
                     COUNT + 100);
    rl.rlim_cur = rl.rlim_max;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);

    int to_child[2], from_child[2];
    cr_assert_eq(pipe(to_child), 0);
    cr_assert_eq(pipe(from_child), 0);
    pid_t pid = fork(); /* before the server's threads exist */
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        unsigned port = 0, ok = 0;
        if (read(to_child[0], &port, sizeof port) == sizeof port)
            ok = run_client(port);
        _exit(write(from_child[1], &ok, sizeof ok) == sizeof ok ? 0 : 1);
    }

    struct comicsrv *srv;
    struct err err = {{0}};
    struct comicsrv_opts o = {.count = 1};
    cr_assert_eq(comicsrv_start(&srv, &o, &err), 0, "%s", err.msg);
    unsigned port = comicsrv_port(srv);
    cr_assert_eq(write(to_child[1], &port, sizeof port), sizeof port);

    /* All COUNT must be waiting together at some instant. */
    unsigned long peak = 0;
    uint64_t give_up = clock_now_ns() + (uint64_t)DELAY_MS * 1000000u;
    while (peak < COUNT && clock_now_ns() < give_up) {
        unsigned long now = comicsrv_waiting(srv);
        peak = now > peak ? now : peak;
        clock_sleep_ms(20);
    }
    cr_expect_eq(peak, COUNT, "at most %lu requests were waiting at once", peak);

    unsigned ok = 0;
    cr_expect_eq(read(from_child[0], &ok, sizeof ok), sizeof ok);
    int status;
    waitpid(pid, &status, 0);
    cr_expect_eq(ok, COUNT, "%u of %d requests answered 200", ok, COUNT);
    cr_expect_eq(comicsrv_requests(srv), COUNT);
    comicsrv_stop(srv);
    close(to_child[0]), close(to_child[1]), close(from_child[0]), close(from_child[1]);
}
