/* comicsrv_client.c - see comicsrv_client.h. */
#include "comicsrv_client.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t comicsrv_client_collect(char *data, size_t size, size_t n, void *reply)
{
    struct reply *r = reply;
    char *body = realloc(r->body, r->len + size * n + 1);
    cr_assert_not_null(body);
    memcpy(body + r->len, data, size * n);
    r->body = body;
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

struct reply comicsrv_client_get(const char *url)
{
    struct reply r = {0};
    CURL *c = curl_easy_init();
    cr_assert_not_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, comicsrv_client_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    r.rc = curl_easy_perform(c);
    char *type = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &r.redirects);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
    snprintf(r.type, sizeof r.type, "%s", type ? type : "");
    curl_easy_cleanup(c);
    return r;
}

struct comicsrv *comicsrv_client_start(struct comicsrv_opts o)
{
    struct comicsrv *srv;
    struct err err = {{0}};
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cr_assert_eq(comicsrv_start(&srv, &o, &err), 0, "%s", err.msg);
    cr_assert_gt(comicsrv_port(srv), 0);
    return srv;
}
