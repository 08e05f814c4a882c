/* class_client.c - join, post and queue for class mode; see class_client.h.
 *
 * The participant's grade comes first: this code may only add one line after
 * the card. So every failure here is caught and said in that line, the
 * network has short timeouts, and an unreachable class only queues. What is
 * queued is the exact upload (JSON) in one file per card, written under a
 * temporary name and renamed, so a half-written file is never sent; files
 * are named by the time they were made, so a directory listing sorted by
 * name is the order to send them in.
 */
#include "class_client.h"
#include "path.h"
#include "xdg.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_LEN 1024
#define REPLY_MAX 4096

/* --- Files and folders -------------------------------------------------------- */

/* Writes data to path atomically, mode 0600. */
static int write_private(const char *path, const char *data, size_t len, struct err *err)
{
    char tmp[PATH_LEN + 16];
    if (xdg_make_parents(path, err) != 0)
        return -1;
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(err, "cannot write %s: %s", tmp, strerror(errno));
    ssize_t n = write(fd, data, len);
    int e = errno;
    if (close(fd) != 0 || n != (ssize_t)len || rename(tmp, path) != 0) {
        if (n == (ssize_t)len)
            e = errno;
        unlink(tmp);
        return err_set(err, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

/* Reads a whole small file (at most cap bytes) into a malloc'ed string. */
static char *read_small(const char *path, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(cap + 1);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* --- The config ------------------------------------------------------------------ */

int class_config_path(char *buf, size_t size, struct err *err)
{
    return xdg_path("XDG_CONFIG_HOME", ".config", "retreat/class", buf, size, err);
}

static int outbox_dir(char *buf, size_t size, struct err *err)
{
    return xdg_path("XDG_STATE_HOME", ".local/state", "retreat/outbox", buf, size, err);
}

int class_url_check(const char *url, char *out, size_t size, struct err *err)
{
    regex_t re;
    /* Scheme, a host of the usual characters, an optional port, the code. */
    if (regcomp(&re, "^https?://[]A-Za-z0-9.:[-]+/c/[0-9a-f]{32}/?$", REG_EXTENDED | REG_NOSUB) !=
        0)
        return err_set(err, "cannot check URLs (regcomp)");
    int bad = regexec(&re, url, 0, NULL, 0) != 0;
    regfree(&re);
    if (bad)
        return err_set(err,
                       "'%s' is not a class URL: expected http://HOST:PORT/c/CODE/ as "
                       "`retreat class` prints it",
                       url);
    size_t n = strlen(url);
    int r = snprintf(out, size, "%s%s", url, url[n - 1] == '/' ? "" : "/");
    return r >= 0 && (size_t)r < size ? 0 : err_set(err, "the class URL is too long");
}

int class_config_load(struct class_config *c, struct err *err)
{
    char path[PATH_LEN];
    memset(c, 0, sizeof *c);
    if (class_config_path(path, sizeof path, err) != 0)
        return 0; /* nowhere to have joined from */
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (o == NULL) {
        if (access(path, F_OK) != 0)
            return 0;
        return err_set(err, "%s: %s (run retreat leave, then join again)", path, jerr.text);
    }
    const char *url = json_string_value(json_object_get(o, "url"));
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *token = json_string_value(json_object_get(o, "token"));
    int rc = -1;
    if (url == NULL || name == NULL || token == NULL || strlen(token) != CLASS_TOKEN_HEX)
        err_set(err, "%s: needs url, name and token (run retreat leave, then join again)", path);
    else if (class_url_check(url, c->url, sizeof c->url, err) != 0)
        err_prefix(err, "%s: ", path);
    else {
        class_clean_text(c->name, sizeof c->name, name, 0);
        snprintf(c->token, sizeof c->token, "%s", token);
        rc = 1;
    }
    json_decref(o);
    return rc;
}

int class_config_save(const struct class_config *c, struct err *err)
{
    char path[PATH_LEN];
    if (class_config_path(path, sizeof path, err) != 0)
        return -1;
    json_t *o = json_pack("{s:s, s:s, s:s}", "url", c->url, "name", c->name, "token", c->token);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    if (text == NULL)
        return err_set(err, "%s: out of memory", path);
    int rc = write_private(path, text, strlen(text), err);
    free(text);
    return rc;
}

int class_config_remove(struct err *err)
{
    char path[PATH_LEN];
    if (class_config_path(path, sizeof path, err) != 0)
        return 0;
    if (unlink(path) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    return err_set(err, "cannot remove %s: %s", path, strerror(errno));
}

/* --- HTTP --------------------------------------------------------------------------- */

struct reply {
    char text[REPLY_MAX];
    size_t len;
};

static size_t on_data(char *data, size_t size, size_t n, void *userp)
{
    struct reply *r = userp;
    size_t len = size * n, room = sizeof r->text - 1 - r->len;
    memcpy(r->text + r->len, data, len < room ? len : room); /* the rest is dropped */
    r->len += len < room ? len : room;
    r->text[r->len] = '\0';
    return len;
}

/* POSTs json to url + path. Returns 0 with *status (any HTTP status) and the
 * reply's first line, or -1 if no answer came (err says why). */
static int post(const char *url, const char *path, const char *json, long *status, struct reply *r,
                struct err *err)
{
    char full[CLASS_URL_MAX + 64];
    snprintf(full, sizeof full, "%s%s", url, path);
    CURL *h = curl_easy_init();
    if (h == NULL)
        return err_set(err, "libcurl cannot start");
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    r->len = 0;
    r->text[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CLASS_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CLASS_TOTAL_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK)
        return err_set(err, "%s", curl_easy_strerror(rc));
    r->text[strcspn(r->text, "\n")] = '\0';
    return 0;
}

/* "HOST:PORT" of a class URL, for the line after the card. */
static void host_of(const char *url, char *host, size_t size)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    snprintf(host, size, "%.*s", (int)strcspn(h, "/"), h);
}

int class_client_join(const char *url, const char *name, struct class_config *c, struct err *err)
{
    memset(c, 0, sizeof *c);
    if (class_url_check(url, c->url, sizeof c->url, err) != 0)
        return -1;
    if (class_clean_text(c->name, sizeof c->name, name, 0) == 0)
        return err_set(err, "the name '%s' is empty once cleaned: give one with --name", name);
    unsigned char bytes[CLASS_TOKEN_HEX / 2];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        return err_set(err, "no random bytes for a token: %s", strerror(errno));
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(c->token + 2 * i, 3, "%02x", bytes[i]);
    json_t *o = json_pack("{s:s, s:s}", "name", c->name, "token", c->token);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (body == NULL)
        return err_set(err, "out of memory");
    long status = 0;
    struct reply r;
    int rc = post(c->url, "api/join", body, &status, &r, err);
    free(body);
    if (rc != 0)
        return err_prefix(err, "cannot reach the class at %s: ", c->url);
    if (status != 200)
        return err_set(err, "the class refused: %s (HTTP %ld)", r.text[0] ? r.text : "no reason",
                       status);
    json_t *reply = json_loads(r.text, 0, NULL);
    const char *kept = json_string_value(json_object_get(reply, "name"));
    if (kept != NULL)
        class_clean_text(c->name, sizeof c->name, kept, 0);
    json_decref(reply);
    return class_config_save(c, err);
}

/* --- The upload ----------------------------------------------------------------------- */

/* Line n (1-based) of path, without its newline; "" if there is none. */
static void source_line(const char *path, long n, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    for (long i = 1; getline(&line, &cap, f) >= 0; i++)
        if (i == n) {
            line[strcspn(line, "\r\n")] = '\0';
            class_clean_text(out, size, line, 1);
            break;
        }
    free(line);
    fclose(f);
}

size_t class_races_accesses(const char *text, const char *source_path,
                            struct class_access acc[CLASS_ACCESS_MAX])
{
    /* grade_tsan_parse() writes "<kind> in <func> at <file>:<line>" for each
     * access, kind being read or write, maybe atomic, maybe "earlier". */
    regex_t re;
    if (regcomp(&re, "((earlier )?(atomic )?(read|write)) in ([^ ]+) at ([^ :]+):([0-9]+)",
                REG_EXTENDED) != 0)
        return 0;
    size_t n = 0;
    regmatch_t m[8];
    for (const char *p = text; n < CLASS_ACCESS_MAX && regexec(&re, p, 8, m, 0) == 0;
         p += m[0].rm_eo) {
        struct class_access *a = &acc[n++];
        memset(a, 0, sizeof *a);
        snprintf(a->what, sizeof a->what, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), p + m[1].rm_so);
        snprintf(a->where, sizeof a->where, "%.*s", (int)(m[5].rm_eo - m[5].rm_so), p + m[5].rm_so);
        char file[sizeof a->file];
        snprintf(file, sizeof file, "%.*s", (int)(m[6].rm_eo - m[6].rm_so), p + m[6].rm_so);
        snprintf(a->file, sizeof a->file, "%s", path_base_name(file));
        a->line = strtol(p + m[7].rm_so, NULL, 10);
        if (source_path != NULL && strcmp(path_base_name(source_path), a->file) == 0)
            source_line(source_path, a->line, a->source, sizeof a->source);
    }
    regfree(&re);
    return n;
}

/* The run log, whole lines only, at most CLASS_RUNLOG_MAX bytes. */
static json_t *runlog_text(const char *path)
{
    size_t len;
    char *text = read_small(path, CLASS_RUNLOG_MAX + 1, &len);
    if (text == NULL)
        return NULL;
    if (len > CLASS_RUNLOG_MAX) {
        char *nl = memrchr(text, '\n', CLASS_RUNLOG_MAX);
        len = nl ? (size_t)(nl - text) + 1 : 0;
    }
    json_t *s = json_stringn(text, len); /* NULL if not UTF-8: then no log */
    free(text);
    return s;
}

static const char *const marks[] = {
    [GRADE_PASS] = "pass", [GRADE_FAIL] = "fail", [GRADE_INFO] = "info", [GRADE_SKIP] = "skip"};

/* A card text as a JSON string: cleaned, so jansson always takes it. */
static json_t *clean_string(const char *text)
{
    char buf[CLASS_TEXT_MAX];
    class_clean_text(buf, sizeof buf, text, 0);
    return json_string(buf);
}

int class_client_upload_json(const struct grade_card *card, const struct class_config *c,
                             char **json, struct err *err)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", c->name, "token", c->token, "exercise",
                          card->ex->id, "file", card->ex->file);
    if (o == NULL)
        return err_set(err, "out of memory");
    if (card->build_error[0] != '\0')
        json_object_set_new(o, "build_error", clean_string(card->build_error));
    json_t *checks = json_array();
    json_object_set_new(o, "checks", checks);
    for (size_t i = 0; i < card->count; i++) {
        const struct grade_line *l = &card->lines[i];
        json_t *line = json_object();
        json_object_set_new(line, "check", json_string(exercises_check_name(l->check)));
        json_object_set_new(line, "mark", json_string(marks[l->mark]));
        json_object_set_new(line, "text", clean_string(l->text));
        json_array_append_new(checks, line);
        /* "1.92x the speed of linear ..." */
        double s = l->check == CHECK_SPEEDUP && l->mark == GRADE_INFO ? strtod(l->text, NULL) : 0;
        if (s > 0 && s <= CLASS_SPEEDUP_MAX)
            json_object_set_new(o, "speedup", json_real(s));
        if (l->check == CHECK_RACES && l->mark == GRADE_FAIL) {
            struct class_access acc[CLASS_ACCESS_MAX];
            /* Sources are cleaned already, keeping their indentation. */
            size_t n = class_races_accesses(l->text, card->source, acc);
            json_t *arr = json_array();
            for (size_t k = 0; k < n; k++)
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:o}", "what",
                                                     acc[k].what, "where", acc[k].where, "file",
                                                     acc[k].file, "line", (json_int_t)acc[k].line,
                                                     "source", json_string(acc[k].source)));
            json_object_set_new(o, "accesses", arr);
        }
    }
    if (card->runlog[0] != '\0') {
        json_t *log = runlog_text(card->runlog);
        if (log != NULL)
            json_object_set_new(o, "runlog", log);
    }
    *json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return *json != NULL ? 0 : err_set(err, "out of memory");
}

/* --- Sending and queueing ----------------------------------------------------------- */

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int queued_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Puts json in the outbox. */
static int queue(const char *json, struct err *err)
{
    char dir[PATH_LEN], path[PATH_LEN + 64];
    if (outbox_dir(dir, sizeof dir, err) != 0)
        return -1;
    struct dirent **names;
    int n = scandir(dir, &names, queued_file, by_name);
    if (n > 0) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
    }
    if (n >= CLASS_OUTBOX_MAX)
        return err_set(err, "the outbox %s already holds %d cards", dir, n);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(path, sizeof path, "%s/%lld%09ld-%d.json", dir, (long long)ts.tv_sec, ts.tv_nsec,
             (int)getpid());
    return write_private(path, json, strlen(json), err);
}

/* Sends what is queued, oldest first, while the class answers. Returns -1
 * if the class is unreachable (the rest stays queued), else 0. */
static int drain(const struct class_config *c, FILE *out)
{
    char dir[PATH_LEN];
    struct dirent **names;
    if (outbox_dir(dir, sizeof dir, NULL) != 0)
        return 0;
    int n = scandir(dir, &names, queued_file, by_name), rc = 0, sent = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_LEN + 256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        char *json = rc == 0 ? read_small(path, CLASS_BODY_MAX, NULL) : NULL;
        long status = 0;
        struct reply r;
        struct err err = {{0}};
        if (json != NULL && post(c->url, "api/upload", json, &status, &r, &err) != 0) {
            rc = -1; /* still unreachable: keep this and the rest */
        } else if (json != NULL && (status >= 500 || status == 429)) {
            rc = -1; /* the class is there but cannot take it now: later */
        } else if (json != NULL) {
            if (status >= 400) /* it will never be taken: say so, drop it */
                fprintf(out, "class: a queued card was refused: %s\n", r.text);
            else
                sent++;
            unlink(path);
        }
        free(json);
        free(names[i]);
    }
    if (n > 0)
        free(names);
    if (sent > 0)
        fprintf(out, "class: sent %d queued card%s\n", sent, sent == 1 ? "" : "s");
    return rc;
}

int class_client_send(const struct class_config *c, const char *json, FILE *out)
{
    char host[128];
    long status = 0;
    struct reply r;
    struct err err = {{0}};
    host_of(c->url, host, sizeof host);
    /* 5xx and 429 are "not now": queued like an unreachable class. */
    if (drain(c, out) == 0 && post(c->url, "api/upload", json, &status, &r, &err) == 0 &&
        status < 500 && status != 429) {
        if (status == 201) {
            json_t *o = json_loads(r.text, 0, NULL);
            fprintf(out, "sent to class %s as %s (run %lld)\n", host, c->name,
                    (long long)json_integer_value(json_object_get(o, "run")));
            json_decref(o);
            return 0;
        }
        fprintf(out, "class %s refused the card: %s (HTTP %ld)\n", host,
                r.text[0] ? r.text : "no reason", status);
        return -1;
    }
    if (queue(json, &err) != 0) {
        fprintf(out, "class %s unreachable, and the card could not be queued: %s\n", host, err.msg);
        return -1;
    }
    if (status == 0)
        fprintf(out, "class %s unreachable: queued, will send with the next grade\n", host);
    else
        fprintf(out, "class %s busy (%s): queued, will send with the next grade\n", host,
                r.text[0] ? r.text : "no reason");
    return 1;
}

void class_client_after_grade(const struct grade_card *card, FILE *out)
{
    struct class_config c;
    struct err err = {{0}};
    int joined = class_config_load(&c, &err);
    if (joined == 0)
        return; /* nothing is sent without joining */
    if (joined < 0) {
        fprintf(out, "class: not sent: %s\n", err.msg);
        return;
    }
    char *json;
    if (class_client_upload_json(card, &c, &json, &err) != 0) {
        fprintf(out, "class: not sent: %s\n", err.msg);
        return;
    }
    class_client_send(&c, json, out);
    free(json);
}
