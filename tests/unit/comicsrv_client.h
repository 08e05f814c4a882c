/* comicsrv_client.h - what the comic server's tests share: a libcurl GET
 * that keeps the whole reply, and starting a server that fails the test if
 * it cannot start. Test code only. */
#ifndef RETREAT_TEST_COMICSRV_CLIENT_H
#define RETREAT_TEST_COMICSRV_CLIENT_H

#include <stddef.h>

#include <curl/curl.h>

#include "comicsrv.h"

struct reply {
    CURLcode rc;    /* libcurl's verdict on the transfer */
    long status;    /* HTTP status of the last response */
    long redirects; /* redirects followed */
    char type[128]; /* Content-Type ("" if none) */
    char *body;     /* NUL-terminated; free() it */
    size_t len;
};

/* A CURLOPT_WRITEFUNCTION appending to the struct reply given as
 * CURLOPT_WRITEDATA: for requests other than a plain GET. */
size_t comicsrv_client_collect(char *data, size_t size, size_t n, void *reply);

/* GETs url, following up to 10 redirects, giving up after 20 s. */
struct reply comicsrv_client_get(const char *url);

/* Starts a comic server with o on a free loopback port (curl_global_init
 * first); the calling test fails if it cannot. */
struct comicsrv *comicsrv_client_start(struct comicsrv_opts o);

#endif
