/* test_class.c - the class server: store, restart, refusals, state JSON.
 *
 * Each test starts its own `retreat class` server in-process on a free
 * loopback port, with its database in a fresh folder, and talks to it over
 * HTTP with libcurl. No test waits on the clock: each acts, then checks what
 * the server answered or stored.
 */
#include "test_class.h"

#include <jansson.h>
#include <unistd.h>

#include "class_store.h"
#include "exercises.h"
#include "show.h"
#include "stream_source.h"

static struct class_server *start_in(char *dir, size_t size, char *db, size_t dbsize)
{
    class_test_dir(dir, size);
    snprintf(db, dbsize, "%s/class.db", dir);
    return class_test_start((struct class_server_opts){.db_path = db});
}

static json_t *state_of(struct class_server *srv)
{
    struct reply r = class_test_http(srv, "api/state", NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_expect_str_eq(r.type, "application/json");
    json_t *s = json_loads(r.body, 0, NULL);
    cr_assert_not_null(s, "state is not JSON: %s", r.body);
    free(r.body);
    return s;
}

Test(class, store_round_trip_and_restart)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1], url1[CLASS_URL_MAX], url2[CLASS_URL_MAX];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_test_token('a', token);
    char *card = class_test_card("ann", token, "05-pool", "");
    struct reply r = class_test_post(srv, card);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(r.body, "{\"run\":1}\n");
    free(r.body);
    class_server_url(srv, url1, sizeof url1);
    unsigned port = class_server_port(srv);
    class_server_stop(srv);

    /* The same database, the same port: the same class and URL. */
    srv = class_test_start((struct class_server_opts){.db_path = db, .port = port});
    class_server_url(srv, url2, sizeof url2);
    cr_expect_str_eq(url1, url2);
    json_t *s = state_of(srv);
    cr_expect_eq(json_integer_value(json_object_get(s, "participants")), 1);
    json_t *pass = json_object_get(s, "latest_pass");
    cr_expect_str_eq(json_string_value(json_object_get(pass, "name")), "ann");
    cr_expect_eq(json_integer_value(json_object_get(pass, "run")), 1);
    json_decref(s);
    r = class_test_http(srv, "api/run/1/runlog", NULL, 0);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.type, "application/x-ndjson");
    cr_expect(strstr(r.body, "\"item\":\"a.png\"") != NULL, "run log: %s", r.body);
    free(r.body);
    /* The token still owns the name after the restart. */
    r = class_test_post(srv, card);
    cr_expect_eq(r.status, 201, "%s", r.body);
    free(r.body);
    free(card);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, wrong_code_is_404_and_says_nothing)
{
    char dir[64], db[128], url[CLASS_URL_MAX];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_server_url(srv, url, sizeof url);
    char *code = strstr(url, "/c/") + 3;
    cr_assert_eq(strlen(code), CLASS_CODE_HEX + 1);
    /* Same length, one digit different; then no code at all. */
    code[0] = code[0] == '0' ? '1' : '0';
    const char *const bad[] = {url, "http://127.0.0.1:%u/", "http://127.0.0.1:%u/api/state"};
    for (size_t i = 0; i < 3; i++) {
        char u[CLASS_URL_MAX];
        snprintf(u, sizeof u, bad[i], class_server_port(srv));
        struct reply r = comicsrv_client_get(u);
        cr_expect_eq(r.status, 404, "%s", u);
        cr_expect_str_eq(r.body, "not found\n");
        free(r.body);
    }
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, oversized_upload_is_413)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    size_t n = CLASS_BODY_MAX + 100;
    char *big = malloc(n);
    memset(big, ' ', n);
    struct reply r = class_test_http(srv, "api/upload", big, n);
    cr_expect_eq(r.status, 413);
    cr_expect(strstr(r.body, "at most") != NULL, "%s", r.body);
    free(r.body);
    free(big);

    /* A run log over its own cap, in a body under the body's cap. */
    class_test_token('a', token);
    size_t loglen = CLASS_RUNLOG_MAX + 10;
    char *log = malloc(loglen + 1);
    memset(log, 'x', loglen);
    log[loglen] = '\0';
    char *card;
    cr_assert(asprintf(&card,
                       "{\"name\":\"ann\",\"token\":\"%s\",\"exercise\":\"05-pool\","
                       "\"checks\":[{\"check\":\"correct\",\"mark\":\"pass\"}],\"runlog\":\"%s\"}",
                       token, log) > 0);
    r = class_test_post(srv, card);
    cr_expect_eq(r.status, 413);
    cr_expect(strstr(r.body, "run log") != NULL, "%s", r.body);
    free(r.body);
    free(card);
    free(log);
    cr_expect_eq(class_server_accepted(srv), 0);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

/* Without a Content-Length (chunked), the cap applies as the body arrives. */
static size_t read_spaces(char *buf, size_t size, size_t n, void *left)
{
    size_t *rest = left, k = size * n < *rest ? size * n : *rest;
    memset(buf, ' ', k);
    *rest -= k;
    return k;
}

Test(class, oversized_chunked_upload_is_413)
{
    char dir[64], db[128], url[CLASS_URL_MAX + 32];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_server_url(srv, url, sizeof url);
    strcat(url, "api/upload");
    size_t left = 2 * CLASS_BODY_MAX;
    struct reply r = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_spaces);
    curl_easy_setopt(c, CURLOPT_READDATA, &left);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, comicsrv_client_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    cr_expect_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    cr_expect_eq(r.status, 413);
    cr_expect(r.body != NULL && strstr(r.body, "at most") != NULL, "%s", r.body);
    free(r.body);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, bad_json_is_400_with_the_reason)
{
    char dir[64], db[128];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    struct reply r = class_test_post(srv, "{\"name\": \"ann\", ");
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(r.type, "text/plain; charset=utf-8");
    cr_expect(strstr(r.body, "not valid JSON") != NULL, "%s", r.body);
    free(r.body);
    r = class_test_post(srv, "[1, 2]");
    cr_expect_eq(r.status, 400);
    cr_expect(strstr(r.body, "expected a JSON object") != NULL, "%s", r.body);
    free(r.body);
    r = class_test_post(srv, "{\"name\": \"ann\", \"token\": \"abc\"}");
    cr_expect_eq(r.status, 400);
    cr_expect(strstr(r.body, "token") != NULL, "%s", r.body);
    free(r.body);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, bad_runlog_line_is_400_naming_the_line)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_test_token('a', token);
    char *card;
    cr_assert(asprintf(&card,
                       "{\"name\":\"ann\",\"token\":\"%s\",\"exercise\":\"05-pool\","
                       "\"checks\":[{\"check\":\"correct\",\"mark\":\"pass\"}],\"runlog\":"
                       "\"{\\\"style\\\":\\\"pool\\\",\\\"item\\\":\\\"a\\\",\\\"phase\\\":"
                       "\\\"blur\\\",\\\"index\\\":0,\\\"worker\\\":1,\\\"start_ns\\\":1,"
                       "\\\"end_ns\\\":2}\\n\\n{\\\"style\\\":\\\"pool\\\"}\\n\"}",
                       token) > 0);
    struct reply r = class_test_post(srv, card);
    cr_expect_eq(r.status, 400);
    cr_expect(strstr(r.body, "runlog line 3") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "item") != NULL, "%s", r.body);
    free(r.body);
    free(card);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, another_token_cannot_use_a_taken_name)
{
    char dir[64], db[128], mine[CLASS_TOKEN_HEX + 1], theirs[CLASS_TOKEN_HEX + 1];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_test_token('a', mine);
    class_test_token('b', theirs);
    char *card = class_test_card("ann", mine, "05-pool", "");
    struct reply r = class_test_post(srv, card);
    cr_assert_eq(r.status, 201);
    free(r.body);
    free(card);
    card = class_test_card("ann", theirs, "06-rows", "");
    r = class_test_post(srv, card);
    cr_expect_eq(r.status, 409);
    cr_expect(strstr(r.body, "the name ann is taken in this class") != NULL, "%s", r.body);
    free(r.body);
    free(card);
    /* Not with another case either. */
    card = class_test_card("ANN", theirs, "06-rows", "");
    r = class_test_post(srv, card);
    cr_expect_eq(r.status, 409);
    free(r.body);
    free(card);
    /* The join route says the same, and ann's results are as they were. */
    char join[200];
    snprintf(join, sizeof join, "{\"name\":\"ann\",\"token\":\"%s\"}", theirs);
    r = class_test_http(srv, "api/join", join, strlen(join));
    cr_expect_eq(r.status, 409);
    free(r.body);
    json_t *s = state_of(srv);
    json_t *grid = json_object_get(json_object_get(s, "grid"), "ann");
    cr_expect_eq(json_object_size(grid), 1);
    cr_expect(json_is_true(json_object_get(grid, "05-pool")));
    json_decref(s);
    cr_expect_eq(class_server_accepted(srv), 1);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, rate_limit_is_429)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1], other[CLASS_TOKEN_HEX + 1];
    class_test_dir(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/class.db", dir);
    /* A burst of 3, then one a minute: the 4th post in a row is refused. */
    struct class_server *srv = class_test_start(
        (struct class_server_opts){.db_path = db, .rate_burst = 3, .rate_per_min = 1});
    class_test_token('a', token);
    class_test_token('b', other);
    char *card = class_test_card("ann", token, "05-pool", "");
    for (int i = 0; i < 3; i++) {
        struct reply r = class_test_post(srv, card);
        cr_expect_eq(r.status, 201, "post %d: %s", i + 1, r.body);
        free(r.body);
    }
    struct reply r = class_test_post(srv, card);
    cr_expect_eq(r.status, 429);
    cr_expect(strstr(r.body, "too many uploads") != NULL, "%s", r.body);
    free(r.body);
    free(card);
    /* The limit is per participant: bob still posts. */
    card = class_test_card("bob", other, "05-pool", "");
    r = class_test_post(srv, card);
    cr_expect_eq(r.status, 201, "%s", r.body);
    free(r.body);
    free(card);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, names_are_cleaned_for_display)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_test_token('a', token);
    char *card = class_test_card("  ann\\t\\u0001\\u001b[31mred  ", token, "05-pool", "");
    struct reply r = class_test_post(srv, card);
    cr_assert_eq(r.status, 201, "%s", r.body);
    free(r.body);
    free(card);
    json_t *s = state_of(srv);
    json_t *first = json_array_get(json_object_get(s, "leaderboard"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(first, "name")), "ann [31mred");
    json_decref(s);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, clean_text_keeps_utf8_whole)
{
    char out[CLASS_NAME_MAX + 1];
    /* 31 ASCII bytes then "é" (2 bytes): 33 bytes do not fit in 32. */
    cr_expect_eq(class_clean_text(out, sizeof out, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9", 0),
                 31);
    cr_expect_eq(class_clean_text(out, sizeof out,
                                  "b\xff\xfe"
                                  "c\xc3",
                                  0),
                 3);
    cr_expect_str_eq(out, "b c");
    cr_expect_eq(class_clean_text(out, sizeof out, "\tx = 1;\r\n", 1), 10);
    cr_expect_str_eq(out, "    x = 1;");
    cr_expect_eq(class_clean_text(out, sizeof out, "\xe2\x9c\x93 ok", 0), 6);
    cr_expect_str_eq(out, "\xe2\x9c\x93 ok");
}

Test(class, unknown_exercise_is_400)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1];
    struct exercise *list;
    size_t count;
    struct err err = {{0}};
    cr_assert_eq(exercises_load(EXERCISES_PATH, &list, &count, &err), 0, "%s", err.msg);
    class_test_dir(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/class.db", dir);
    struct class_server *srv = class_test_start(
        (struct class_server_opts){.db_path = db, .exercises = list, .nexercises = count});
    class_test_token('a', token);
    char *card = class_test_card("ann", token, "99-nope", "");
    struct reply r = class_test_post(srv, card);
    cr_expect_eq(r.status, 400);
    cr_expect(strstr(r.body, "\"99-nope\" is not one of this class's exercises") != NULL, "%s",
              r.body);
    free(r.body);
    free(card);
    card = class_test_card("ann", token, "../../etc", "");
    r = class_test_post(srv, card);
    cr_expect_eq(r.status, 400);
    free(r.body);
    free(card);
    card = class_test_card("ann", token, "06-rows", "");
    r = class_test_post(srv, card);
    cr_expect_eq(r.status, 201, "%s", r.body);
    free(r.body);
    free(card);
    class_server_stop(srv);
    free(list);
    class_test_rmdir(dir);
}

Test(class, wrong_method_and_unknown_run)
{
    char dir[64], db[128];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    struct reply r = class_test_http(srv, "api/state", "{}", 2);
    cr_expect_eq(r.status, 405);
    free(r.body);
    r = class_test_http(srv, "api/upload", NULL, 0);
    cr_expect_eq(r.status, 405);
    free(r.body);
    r = class_test_http(srv, "api/run/42/runlog", NULL, 0);
    cr_expect_eq(r.status, 404);
    free(r.body);
    r = class_test_http(srv, "", NULL, 0);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "<title>retreat class</title>") != NULL);
    cr_expect(strstr(r.body, "src=") == NULL, "the page loads nothing external");
    free(r.body);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

/* The page links every run to its trace: the stored run log as Chrome Trace
 * Event JSON (trace.h), one complete event per span. */
Test(class, a_runs_trace_is_its_run_log_as_trace_events)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_test_token('c', token);
    char *card = class_test_card("cy", token, "05-pool", "");
    struct reply r = class_test_post(srv, card);
    cr_assert_eq(r.status, 201, "%s", r.body);
    free(r.body);
    free(card);
    r = class_test_http(srv, "api/run/1/trace.json", NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(r.type, "application/json");
    json_t *t = json_loads(r.body, 0, NULL);
    cr_assert_not_null(t, "not JSON: %s", r.body);
    json_t *events = json_object_get(t, "traceEvents");
    cr_assert(json_is_array(events));
    int slices = 0;
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        if (strcmp(json_string_value(json_object_get(e, "ph")), "X") != 0)
            continue;
        slices++;
        cr_expect_str_eq(json_string_value(json_object_get(e, "name")), "blur");
        cr_expect_eq(json_integer_value(json_object_get(e, "tid")), 7);
    }
    cr_expect_eq(slices, 1, "the run log's one span is one slice: %s", r.body);
    json_decref(t);
    free(r.body);
    r = class_test_http(srv, "api/run/9/trace.json", NULL, 0);
    cr_expect_eq(r.status, 404);
    free(r.body);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

/* `retreat stream --class FILE.db`: the stream reads the class straight from
 * its database, the same texts the server answers. */
Test(class, the_stream_reads_a_class_database_without_the_server)
{
    char dir[64], db[128], token[CLASS_TOKEN_HEX + 1];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    class_test_token('d', token);
    char *card = class_test_card("dee", token, "05-pool", "");
    struct reply r = class_test_post(srv, card);
    cr_assert_eq(r.status, 201, "%s", r.body);
    free(r.body);
    free(card);
    class_server_stop(srv);

    struct err err = {{0}};
    struct stream_source *src;
    cr_assert_eq(stream_src_class_db_new(&src, db, &err), 0, "%s", err.msg);
    struct show_options o;
    show_options_default(&o);
    o.width = 320;
    o.height = 180;
    struct show *show;
    cr_assert_eq(show_new(&show, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(src->ops->start(src, show, &err), 0, "%s", err.msg);
    double d = show_duration(show), lb = -1, pass = -1;
    for (double t = 0; t < d; t += 0.25) {
        if (lb < 0 && strcmp(show_scene_at(show, t), "leaderboard") == 0)
            lb = t;
        if (pass < 0 && strcmp(show_scene_at(show, t), "class-pass") == 0)
            pass = t;
    }
    cr_expect_geq(lb, 0, "no leaderboard from %s", db);
    cr_expect_gt(pass, lb, "no scene of dee's passing run, with its run log, from %s", db);
    stream_source_free(src);
    show_free(show);

    /* A file that is no class database is refused at start, named. */
    char bogus[160];
    snprintf(bogus, sizeof bogus, "%s/none.db", dir);
    cr_assert_eq(stream_src_class_db_new(&src, bogus, &err), 0, "%s", err.msg);
    cr_assert_eq(show_new(&show, &o, &err), 0, "%s", err.msg);
    cr_expect_eq(src->ops->start(src, show, &err), -1);
    cr_expect(strstr(err.msg, bogus) != NULL, "the error names the file: %s", err.msg);
    stream_source_free(src);
    show_free(show);
    class_test_rmdir(dir);
}

/* Every field of the state JSON (src/tools/class_store.h), with its type, after a pass and a
 * race: what `retreat stream --class` relies on. */
Test(class, state_json_matches_the_contract)
{
    char dir[64], db[128], ann[CLASS_TOKEN_HEX + 1], bob[CLASS_TOKEN_HEX + 1];
    struct class_server *srv = start_in(dir, sizeof dir, db, sizeof db);
    json_t *s = state_of(srv);
    cr_expect(json_is_null(json_object_get(s, "latest_pass")));
    cr_expect(json_is_null(json_object_get(s, "latest_race")));
    cr_expect_eq(json_integer_value(json_object_get(s, "updated")), 0);
    json_decref(s);

    class_test_token('a', ann);
    class_test_token('b', bob);
    char *card = class_test_card("ann", ann, "05-pool", "");
    struct reply r = class_test_post(srv, card);
    cr_assert_eq(r.status, 201);
    free(r.body);
    free(card);
    cr_assert(asprintf(&card,
                       "{\"name\":\"bob\",\"token\":\"%s\",\"exercise\":\"05-pool\","
                       "\"checks\":[{\"check\":\"correct\",\"mark\":\"pass\"},{\"check\":"
                       "\"races\",\"mark\":\"fail\",\"text\":\"data race: write in worker() at "
                       "pool.c:24 (thread T2) and earlier read in worker() at pool.c:22 (thread "
                       "T1)\"}],\"accesses\":[{\"what\":\"write\",\"where\":\"worker()\","
                       "\"file\":\"pool.c\",\"line\":24,\"source\":\"        p->next++;\"},"
                       "{\"what\":\"earlier read\",\"where\":\"worker()\",\"file\":\"pool.c\","
                       "\"line\":22,\"source\":\"        size_t i = p->next;\"}]}",
                       bob) > 0);
    r = class_test_post(srv, card);
    cr_assert_eq(r.status, 201, "%s", r.body);
    free(r.body);
    free(card);

    s = state_of(srv);
    cr_expect(json_integer_value(json_object_get(s, "updated")) > 0);
    cr_expect_eq(json_integer_value(json_object_get(s, "participants")), 2);
    json_t *board = json_object_get(s, "leaderboard");
    cr_assert_eq(json_array_size(board), 2);
    json_t *top = json_array_get(board, 0), *second = json_array_get(board, 1);
    cr_expect_str_eq(json_string_value(json_object_get(top, "name")), "ann");
    cr_expect_eq(json_integer_value(json_object_get(top, "passed")), 1);
    cr_expect_float_eq(json_number_value(json_object_get(top, "best_speedup")), 1.5, 1e-9);
    cr_expect_str_eq(json_string_value(json_object_get(top, "best_exercise")), "05-pool");
    cr_expect_eq(json_integer_value(json_object_get(second, "passed")), 0);
    cr_expect(json_is_null(json_object_get(second, "best_speedup")));

    json_t *firsts = json_object_get(s, "firsts");
    cr_assert_eq(json_array_size(firsts), 1);
    json_t *f = json_array_get(firsts, 0);
    cr_expect_str_eq(json_string_value(json_object_get(f, "exercise")), "05-pool");
    cr_expect_str_eq(json_string_value(json_object_get(f, "name")), "ann");
    cr_expect(json_is_integer(json_object_get(f, "at")));

    json_t *pass = json_object_get(s, "latest_pass");
    cr_expect_str_eq(json_string_value(json_object_get(pass, "name")), "ann");
    cr_expect_str_eq(json_string_value(json_object_get(pass, "exercise")), "05-pool");
    cr_expect(json_is_integer(json_object_get(pass, "at")));
    cr_expect_eq(json_integer_value(json_object_get(pass, "run")), 1);
    cr_expect_float_eq(json_number_value(json_object_get(pass, "speedup")), 1.5, 1e-9);

    json_t *race = json_object_get(s, "latest_race");
    cr_expect_str_eq(json_string_value(json_object_get(race, "name")), "bob");
    cr_expect_eq(json_integer_value(json_object_get(race, "run")), 2);
    cr_expect(
        strncmp(json_string_value(json_object_get(race, "summary")), "data race: write", 16) == 0);
    json_t *acc = json_object_get(race, "accesses");
    cr_assert_eq(json_array_size(acc), 2);
    json_t *a = json_array_get(acc, 0);
    cr_expect_str_eq(json_string_value(json_object_get(a, "what")), "write");
    cr_expect_str_eq(json_string_value(json_object_get(a, "where")), "worker()");
    cr_expect_str_eq(json_string_value(json_object_get(a, "file")), "pool.c");
    cr_expect_eq(json_integer_value(json_object_get(a, "line")), 24);
    cr_expect_str_eq(json_string_value(json_object_get(a, "source")), "        p->next++;");
    json_decref(s);

    /* The same JSON straight from the database file, without the server. */
    char *from_db, *from_srv;
    struct err err = {{0}};
    r = class_test_http(srv, "api/state", NULL, 0);
    from_srv = r.body;
    cr_assert_eq(class_state_json(db, &from_db, &err), 0, "%s", err.msg);
    cr_expect_str_eq(from_db, from_srv);
    free(from_db);
    free(from_srv);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class, state_json_of_a_missing_database_is_an_error)
{
    char *json = NULL;
    struct err err = {{0}};
    cr_expect_eq(class_state_json("/nonexistent/class.db", &json, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/class.db") != NULL, "%s", err.msg);
    cr_expect_null(json);
}
