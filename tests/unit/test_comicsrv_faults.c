/* test_comicsrv_faults.c - every fault the comic server can inject, by query
 * and by option, seen from a libcurl client and from feed_parse. */
#include <criterion/criterion.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "comicsrv_client.h"
#include "comicsrv.h"
#include "feed.h"

/* GETs path (with any query) on srv. */
static struct reply get(struct comicsrv *srv, const char *path)
{
    char url[COMICSRV_URL_MAX];
    cr_assert_eq(comicsrv_url(srv, path, url, sizeof url), 0);
    return comicsrv_client_get(url);
}

/* Parses a reply as comic 0's feed. */
static int parse(struct comicsrv *srv, const struct reply *r, struct err *err)
{
    char url[COMICSRV_URL_MAX];
    struct feed_entry e;
    comicsrv_feed_url(srv, 0, url, sizeof url);
    return feed_parse(r->body ? r->body : "", r->len, url, &e, err);
}

Test(comicsrv_faults, spec_grammar)
{
    struct comicsrv_fault f;
    struct err err = {{0}};
    cr_assert_eq(comicsrv_fault_parse("slow:n=50:every=4", &f, &err), 0, "%s", err.msg);
    cr_expect_eq(f.kind, COMICSRV_FAULT_SLOW);
    cr_expect_eq(f.n, 50);
    cr_expect_eq(f.every, 4);
    cr_assert_eq(comicsrv_fault_parse("404", &f, &err), 0);
    cr_expect_eq(f.kind, COMICSRV_FAULT_404);
    cr_expect_str_eq(comicsrv_fault_name(COMICSRV_FAULT_LAUGHS), "laughs");

    const char *bad[] = {
        "",         "40",       "404x",        "teapot",         "404:n=", "404:n=0",
        "404:n=-1", "404:n=3x", "404:every=0", "404:colour=red", "404:"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err.msg[0] = '\0';
        cr_expect_eq(comicsrv_fault_parse(bad[k], &f, &err), -1, "accepted '%s'", bad[k]);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", bad[k]);
        cr_expect_not_null(strstr(err.msg, quoted), "%s", err.msg);
    }
}

Test(comicsrv_faults, statuses)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct reply r = get(srv, "/feed/0.xml?fault=404");
    cr_expect_eq(r.status, 404);
    free(r.body);
    r = get(srv, "/comic/0/1.png?fault=500");
    cr_expect_eq(r.status, 500);
    free(r.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, unavailable_then_success)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 2});
    long want[] = {503, 503, 200, 200};
    for (int k = 0; k < 4; k++) {
        struct reply r = get(srv, "/feed/0.xml?fault=503");
        cr_expect_eq(r.status, want[k], "attempt %d: %ld", k + 1, r.status);
        free(r.body);
    }
    /* The count is per URL: another URL starts afresh. */
    struct reply r = get(srv, "/feed/1.xml?fault=503:n=1");
    cr_expect_eq(r.status, 503);
    free(r.body);
    r = get(srv, "/feed/1.xml?fault=503:n=1");
    cr_expect_eq(r.status, 200);
    free(r.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, reset_and_truncate_break_the_transfer)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct reply r = get(srv, "/feed/0.xml?fault=reset");
    cr_expect(r.rc == CURLE_GOT_NOTHING || r.rc == CURLE_RECV_ERROR, "reset: %s",
              curl_easy_strerror(r.rc));
    free(r.body);
    r = get(srv, "/feed/0.xml?fault=truncate");
    cr_expect_eq(r.rc, CURLE_PARTIAL_FILE, "truncate: %s", curl_easy_strerror(r.rc));
    cr_expect_gt(r.len, 0);
    struct err err = {{0}};
    cr_expect_eq(parse(srv, &r, &err), -1, "half a feed parsed");
    free(r.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, redirect_chain_then_content)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct reply r = get(srv, "/feed/0.xml?fault=redirect:n=4");
    cr_expect_eq(r.rc, CURLE_OK);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(r.redirects, 4);
    struct err err = {{0}};
    cr_expect_eq(parse(srv, &r, &err), 0, "%s", err.msg);
    free(r.body);
    r = get(srv, "/feed/0.xml?fault=loop");
    cr_expect_eq(r.rc, CURLE_TOO_MANY_REDIRECTS, "loop: %s", curl_easy_strerror(r.rc));
    free(r.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, bad_xml_is_caught_by_the_parser)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct err err = {{0}};
    struct reply r = get(srv, "/feed/0.xml?fault=malformed");
    cr_expect_eq(r.status, 200);
    cr_expect_eq(parse(srv, &r, &err), -1);
    cr_expect_not_null(strstr(err.msg, "malformed XML"), "%s", err.msg);
    free(r.body);

    r = get(srv, "/feed/0.xml?fault=laughs");
    cr_expect_eq(r.status, 200);
    cr_expect_eq(parse(srv, &r, &err), -1);
    cr_expect_not_null(strstr(err.msg, "entities"), "%s", err.msg);
    free(r.body);

    r = get(srv, "/feed/0.xml?fault=huge:n=5");
    cr_expect_eq(r.rc, CURLE_OK);
    cr_expect_geq(r.len, 5u << 20);
    cr_expect_eq(parse(srv, &r, &err), -1);
    cr_expect_not_null(strstr(err.msg, "too large"), "%s", err.msg);
    free(r.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, huge_feed_is_well_formed_under_the_size_limit)
{
    /* The huge body is a real feed: only its size is the fault. */
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct reply r = get(srv, "/feed/0.xml?fault=huge:n=1");
    struct err err = {{0}};
    cr_expect_eq(parse(srv, &r, &err), 0, "%s", err.msg);
    free(r.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, wrong_content_type)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct reply r = get(srv, "/feed/0.xml?fault=type");
    cr_expect_str_eq(r.type, "image/png");
    free(r.body);
    r = get(srv, "/comic/0/1.png?fault=type");
    cr_expect_not_null(strstr(r.type, "text/html"), "%s", r.type);
    free(r.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, slow_body_is_drip_fed_and_complete)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct reply whole = get(srv, "/feed/0.xml");
    uint64_t t0 = clock_now_ns();
    struct reply r = get(srv, "/feed/0.xml?fault=slow:n=10");
    uint64_t ms = (clock_now_ns() - t0) / 1000000;
    cr_expect_eq(r.rc, CURLE_OK, "%s", curl_easy_strerror(r.rc));
    cr_expect_eq(r.len, whole.len);
    cr_expect(r.len == whole.len && memcmp(r.body, whole.body, r.len) == 0);
    /* One 64-byte chunk per 10 ms at best: it cannot arrive sooner. */
    size_t chunks = (whole.len + 63) / 64;
    cr_expect_geq(ms, chunks * 10, "%zu chunks in %llu ms", chunks, (unsigned long long)ms);
    free(r.body);
    free(whole.body);
    comicsrv_stop(srv);
}

Test(comicsrv_faults, option_faults_hit_every_nth_feed_only)
{
    struct comicsrv_opts o = {.count = 7, .nfaults = 2};
    struct err err = {{0}};
    cr_assert_eq(comicsrv_fault_parse("404:every=3", &o.faults[0], &err), 0);
    cr_assert_eq(comicsrv_fault_parse("500", &o.faults[1], &err), 0); /* the rest */
    o.nfaults = 1;
    struct comicsrv *srv = comicsrv_client_start(o);
    for (unsigned i = 0; i < 7; i++) {
        char path[64];
        snprintf(path, sizeof path, "/feed/%u.xml", i);
        struct reply r = get(srv, path);
        cr_expect_eq(r.status, i % 3 == 2 ? 404 : 200, "feed %u: %ld", i, r.status);
        free(r.body);
    }
    struct reply page = get(srv, "/comic/2/1.html"); /* pages are spared */
    cr_expect_eq(page.status, 200);
    free(page.body);
    /* ?fault= overrides the options. */
    struct reply r = get(srv, "/feed/2.xml?fault=500");
    cr_expect_eq(r.status, 500);
    free(r.body);
    comicsrv_stop(srv);

    o.nfaults = 2; /* the first match wins; the second catches the rest */
    srv = comicsrv_client_start(o);
    for (unsigned i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "/feed/%u.xml", i);
        struct reply r2 = get(srv, path);
        cr_expect_eq(r2.status, i % 3 == 2 ? 404 : 500, "feed %u: %ld", i, r2.status);
        free(r2.body);
    }
    comicsrv_stop(srv);
}

Test(comicsrv_faults, bad_fault_query_is_loud)
{
    struct comicsrv *srv = comicsrv_client_start((struct comicsrv_opts){.count = 1});
    struct reply r = get(srv, "/feed/0.xml?fault=teapot");
    cr_expect_eq(r.status, 400);
    cr_expect_not_null(strstr(r.body, "unknown ?fault="), "%s", r.body);
    free(r.body);
    comicsrv_stop(srv);
}
