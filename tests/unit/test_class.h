/* test_class.h - what the class-mode tests share: a scratch folder, a class
 * server on a free loopback port with its database in that folder, and
 * HTTP with libcurl. Test code only (static functions, one copy per file).
 */
#ifndef RETREAT_TEST_CLASS_H
#define RETREAT_TEST_CLASS_H

#include <criterion/criterion.h>

#include <curl/curl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class_server.h"
#include "class_upload.h"
#include "comicsrv_client.h"

/* A token as `retreat join` makes them, from one repeated hex digit. */
static inline void class_test_token(char digit, char out[CLASS_TOKEN_HEX + 1])
{
    memset(out, digit, CLASS_TOKEN_HEX);
    out[CLASS_TOKEN_HEX] = '\0';
}

/* A fresh folder under /tmp; the test's process is its own, so no cleanup
 * races with another test. */
static inline void class_test_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/retreat-class-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static inline int class_test_unlink(const char *path, const struct stat *sb, int type,
                                    struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* Removes the scratch folder and everything in it. */
static inline void class_test_rmdir(const char *dir)
{
    nftw(dir, class_test_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

static inline struct class_server *class_test_start(struct class_server_opts o)
{
    struct class_server *srv;
    struct err err = {{0}};
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cr_assert_eq(class_server_start(&srv, &o, &err), 0, "class server: %s", err.msg);
    return srv;
}

/* METHOD (GET or POST with body) of the class URL + path ("api/state"). */
static inline struct reply class_test_http(struct class_server *srv, const char *path,
                                           const char *body, size_t len)
{
    char url[CLASS_URL_MAX + 128], base[CLASS_URL_MAX];
    cr_assert_eq(class_server_url(srv, base, sizeof base), 0);
    snprintf(url, sizeof url, "%s%s", base, path);
    struct reply r = {0};
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, comicsrv_client_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    r.rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    char *type = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
    if (type != NULL)
        snprintf(r.type, sizeof r.type, "%s", type);
    curl_easy_cleanup(h);
    if (r.body == NULL)
        r.body = calloc(1, 1);
    return r;
}

/* A card of exercise ex by name/token: every check passing, a speedup, and
 * a one-span run log; `extra` is spliced in before the closing brace (",
 * \"key\": ..." or ""). The caller frees the result. */
static inline char *class_test_card(const char *name, const char *token, const char *ex,
                                    const char *extra)
{
    char *s;
    cr_assert(
        asprintf(&s,
                 "{\"name\": \"%s\", \"token\": \"%s\", \"exercise\": \"%s\","
                 " \"file\": \"pool.c\","
                 " \"checks\": [{\"check\": \"correct\", \"mark\": \"pass\", \"text\": \"ok\"},"
                 " {\"check\": \"speedup\", \"mark\": \"info\", \"text\": \"1.50x\"}],"
                 " \"speedup\": 1.5,"
                 " \"runlog\": \"{\\\"style\\\":\\\"pool\\\",\\\"item\\\":\\\"a.png\\\","
                 "\\\"phase\\\":\\\"blur\\\",\\\"index\\\":0,\\\"worker\\\":7,"
                 "\\\"start_ns\\\":10,\\\"end_ns\\\":20}\\n\"%s}",
                 name, token, ex, extra) > 0);
    return s;
}

static inline struct reply class_test_post(struct class_server *srv, const char *body)
{
    return class_test_http(srv, "api/upload", body, strlen(body));
}

#endif
