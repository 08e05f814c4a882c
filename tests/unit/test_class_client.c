/* test_class_client.c - the participant's side of class mode: join, the
 * grade hook, the outbox.
 *
 * Each test points $XDG_CONFIG_HOME and $XDG_STATE_HOME at a fresh folder
 * (Criterion runs each test in its own process, so the environment is the
 * test's own), starts a class server in-process and checks what reached it,
 * what was printed under the card and what was left in the outbox.
 */
#include "test_class.h"

#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "class_client.h"
#include "class_store.h"
#include "grade.h"

static const struct exercise pool = {
    .number = 5, .id = "05-pool", .name = "pool", .file = "pool.c"};

/* A fresh home for the config and the outbox; the database goes there too. */
static void fresh_home(char *dir, size_t size, char *db, size_t dbsize)
{
    char path[256];
    class_test_dir(dir, size);
    snprintf(path, sizeof path, "%s/config", dir);
    setenv("XDG_CONFIG_HOME", path, 1);
    snprintf(path, sizeof path, "%s/state", dir);
    setenv("XDG_STATE_HOME", path, 1);
    snprintf(db, dbsize, "%s/class.db", dir);
}

/* A card with every line passing, and a run log of one span, in dir. */
static void passing_card(struct grade_card *card, const char *dir)
{
    memset(card, 0, sizeof *card);
    card->ex = &pool;
    snprintf(card->source, sizeof card->source, "exercises/05-pool/pool.c");
    grade_card_add(card, CHECK_CORRECT, GRADE_PASS, "every result matches the reference");
    grade_card_add(card, CHECK_SPEEDUP, GRADE_INFO,
                   "1.85x the speed of linear on 2 cores (linear 1.00 s, yours 0.54 s, 8 images)");
    snprintf(card->runlog, sizeof card->runlog, "%s/run.jsonl", dir);
    FILE *f = fopen(card->runlog, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"style\":\"pool\",\"item\":\"a.png\",\"phase\":\"blur\",\"index\":0,"
               "\"worker\":9,\"start_ns\":5,\"end_ns\":8}\n");
    fclose(f);
}

/* What the hook printed, as a string (free it). */
static char *after_grade(const struct grade_card *card)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    class_client_after_grade(card, out);
    fclose(out);
    return text;
}

static int outbox_count(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/state/retreat/outbox", dir);
    DIR *d = opendir(path);
    int n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".json") != NULL;
    closedir(d);
    return n;
}

static long runs_in(const char *db)
{
    struct class_store *st;
    struct err err = {{0}};
    cr_assert_eq(class_store_open(&st, db, 1, &err), 0, "%s", err.msg);
    long n = class_store_runs(st);
    class_store_close(st);
    return n;
}

Test(class_client, nothing_is_sent_without_joining)
{
    char dir[64], db[128];
    fresh_home(dir, sizeof dir, db, sizeof db);
    struct class_server *srv = class_test_start((struct class_server_opts){.db_path = db});
    struct grade_card card;
    passing_card(&card, dir);
    char *said = after_grade(&card);
    cr_expect_str_eq(said, "");
    free(said);
    cr_expect_eq(outbox_count(dir), 0);
    class_server_stop(srv);
    cr_expect_eq(runs_in(db), 0);
    class_test_rmdir(dir);
}

Test(class_client, join_then_grade_posts_the_card_and_leave_stops_it)
{
    char dir[64], db[128], url[CLASS_URL_MAX], path[256];
    fresh_home(dir, sizeof dir, db, sizeof db);
    struct class_server *srv = class_test_start((struct class_server_opts){.db_path = db});
    class_server_url(srv, url, sizeof url);
    struct class_config c;
    struct err err = {{0}};
    cr_assert_eq(class_client_join(url, "ann", &c, &err), 0, "%s", err.msg);
    cr_expect_eq(strlen(c.token), CLASS_TOKEN_HEX);
    snprintf(path, sizeof path, "%s/config/retreat/class", dir);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0600);

    struct grade_card card;
    passing_card(&card, dir);
    char *said = after_grade(&card);
    cr_expect(strstr(said, "sent to class 127.0.0.1:") != NULL, "%s", said);
    cr_expect(strstr(said, "as ann (run 1)") != NULL, "%s", said);
    free(said);

    char *state;
    cr_assert_eq(class_state_json(db, &state, &err), 0, "%s", err.msg);
    json_t *s = json_loads(state, 0, NULL);
    json_t *pass = json_object_get(s, "latest_pass");
    cr_expect_str_eq(json_string_value(json_object_get(pass, "name")), "ann");
    cr_expect_float_eq(json_number_value(json_object_get(pass, "speedup")), 1.85, 1e-9);
    json_decref(s);
    free(state);
    struct reply r = class_test_http(srv, "api/run/1/runlog", NULL, 0);
    cr_expect(strstr(r.body, "\"worker\":9") != NULL, "%s", r.body);
    free(r.body);

    /* Someone else joining as ann is told the name is taken. */
    setenv("XDG_CONFIG_HOME", dir, 1); /* another participant's config */
    cr_expect_eq(class_client_join(url, "ann", &c, &err), -1);
    cr_expect(strstr(err.msg, "the name ann is taken in this class") != NULL, "%s", err.msg);
    snprintf(path, sizeof path, "%s/config", dir);
    setenv("XDG_CONFIG_HOME", path, 1);

    cr_expect_eq(class_config_remove(&err), 1);
    said = after_grade(&card);
    cr_expect_str_eq(said, "");
    free(said);
    class_server_stop(srv);
    cr_expect_eq(runs_in(db), 1);
    class_test_rmdir(dir);
}

Test(class_client, unreachable_class_queues_and_drains_later)
{
    char dir[64], db[128], url[CLASS_URL_MAX];
    fresh_home(dir, sizeof dir, db, sizeof db);
    struct class_server *srv = class_test_start((struct class_server_opts){.db_path = db});
    unsigned port = class_server_port(srv);
    class_server_url(srv, url, sizeof url);
    struct class_config c;
    struct err err = {{0}};
    cr_assert_eq(class_client_join(url, "ann", &c, &err), 0, "%s", err.msg);
    class_server_stop(srv); /* the facilitator's laptop goes to sleep */

    struct grade_card card;
    passing_card(&card, dir);
    for (int i = 0; i < 2; i++) {
        char *said = after_grade(&card);
        cr_expect(strstr(said, "unreachable: queued, will send with the next grade") != NULL, "%s",
                  said);
        cr_expect_eq(strchr(said, '\n'), said + strlen(said) - 1, "one line: %s", said);
        free(said);
    }
    cr_expect_eq(outbox_count(dir), 2);

    srv = class_test_start((struct class_server_opts){.db_path = db, .port = port});
    char *said = after_grade(&card);
    cr_expect(strstr(said, "sent 2 queued cards") != NULL, "%s", said);
    cr_expect(strstr(said, "(run 3)") != NULL, "%s", said);
    free(said);
    cr_expect_eq(outbox_count(dir), 0);
    class_server_stop(srv);
    cr_expect_eq(runs_in(db), 3);
    class_test_rmdir(dir);
}

Test(class_client, refused_card_is_said_and_not_queued)
{
    char dir[64], db[128], url[CLASS_URL_MAX];
    fresh_home(dir, sizeof dir, db, sizeof db);
    struct class_server *srv = class_test_start((struct class_server_opts){.db_path = db});
    class_server_url(srv, url, sizeof url);
    /* A config with a token the class never saw for a name it already has. */
    struct class_config c, mine;
    struct err err = {{0}};
    cr_assert_eq(class_client_join(url, "ann", &mine, &err), 0, "%s", err.msg);
    c = mine;
    class_test_token('c', c.token);
    cr_assert_eq(class_config_save(&c, &err), 0, "%s", err.msg);
    struct grade_card card;
    passing_card(&card, dir);
    char *said = after_grade(&card);
    cr_expect(strstr(said, "refused the card: the name ann is taken") != NULL, "%s", said);
    free(said);
    cr_expect_eq(outbox_count(dir), 0);
    class_server_stop(srv);
    class_test_rmdir(dir);
}

Test(class_client, races_line_gives_two_accesses_with_source)
{
    char dir[64], db[128], src[128];
    fresh_home(dir, sizeof dir, db, sizeof db);
    snprintf(src, sizeof src, "%s/pool.c", dir);
    FILE *f = fopen(src, "w");
    cr_assert_not_null(f);
    for (int i = 1; i <= 30; i++)
        fprintf(f,
                i == 24   ? "\tp->next++;\n"
                : i == 22 ? "    size_t i = p->next;\n"
                          : "// %d\n",
                i);
    fclose(f);
    struct class_access acc[CLASS_ACCESS_MAX];
    size_t n = class_races_accesses("data race: write in worker() at pool.c:24 (thread T2) and "
                                    "earlier read in worker() at exercises/05-pool/pool.c:22 "
                                    "(thread T1)",
                                    src, acc);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(acc[0].what, "write");
    cr_expect_str_eq(acc[0].where, "worker()");
    cr_expect_str_eq(acc[0].file, "pool.c");
    cr_expect_eq(acc[0].line, 24);
    cr_expect_str_eq(acc[0].source, "    p->next++;");
    cr_expect_str_eq(acc[1].what, "earlier read");
    cr_expect_eq(acc[1].line, 22);
    cr_expect_str_eq(acc[1].source, "    size_t i = p->next;");
    cr_expect_eq(class_races_accesses("no race here", src, acc), 0);
    class_test_rmdir(dir);
}

Test(class_client, join_refuses_a_url_that_is_not_a_class)
{
    char dir[64], db[128];
    fresh_home(dir, sizeof dir, db, sizeof db);
    struct class_config c;
    struct err err = {{0}};
    cr_expect_eq(class_client_join("http://127.0.0.1:1/feeds.txt", "ann", &c, &err), -1);
    cr_expect(strstr(err.msg, "is not a class URL") != NULL, "%s", err.msg);
    struct class_config none;
    cr_expect_eq(class_config_load(&none, &err), 0, "nothing saved");
    class_test_rmdir(dir);
}

/* The race's lines of code keep their indentation all the way into the
 * upload (they were once squeezed by a second cleaning). */
Test(class_client, upload_keeps_the_race_sources_indentation)
{
    char dir[64], db[128];
    fresh_home(dir, sizeof dir, db, sizeof db);
    struct grade_card card;
    passing_card(&card, dir);
    snprintf(card.source, sizeof card.source, "%s/pool.c", dir);
    FILE *f = fopen(card.source, "w");
    cr_assert_not_null(f);
    fprintf(f, "int x;\n        p->next++;\n");
    fclose(f);
    grade_card_add(&card, CHECK_RACES, GRADE_FAIL,
                   "data race: write in worker() at pool.c:2 (thread T2) and earlier read in "
                   "worker() at pool.c:1 (thread T1)");
    struct class_config c = {.url = "http://127.0.0.1:1/c/00000000000000000000000000000000/",
                             .name = "ann"};
    class_test_token('a', c.token);
    char *json;
    struct err err = {{0}};
    cr_assert_eq(class_client_upload_json(&card, &c, &json, &err), 0, "%s", err.msg);
    struct class_upload up;
    int status;
    cr_assert_eq(class_upload_parse(json, strlen(json), NULL, 0, &up, &status, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(up.naccesses, 2);
    cr_expect_str_eq(up.accesses[0].source, "        p->next++;");
    cr_expect_str_eq(up.accesses[1].source, "int x;");
    cr_expect(up.race_text != NULL);
    cr_expect(up.has_speedup);
    cr_expect_eq(up.runlog_spans, 1);
    class_upload_free(&up);
    free(json);
    class_test_rmdir(dir);
}
