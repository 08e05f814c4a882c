/* test_readstate.c - the read-state file: load, add, save atomically, reload. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "readstate.h"

static char dir[64];
static char path[128];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/retreat-test-state-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/deeper/retreat/read.txt", dir);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *p, const char *text, size_t len)
{
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

TestSuite(readstate, .init = make_dir, .fini = remove_dir);

Test(readstate, missing_file_is_empty_then_saved_and_reloaded)
{
    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0, "%s", err.msg);
    cr_expect_eq(readstate_count(rs), 0);
    cr_expect_not(readstate_has(rs, "http://a/1"));
    cr_assert_eq(readstate_add(rs, "http://a/1", &err), 0);
    cr_assert_eq(readstate_add(rs, "http://a/2", &err), 0);
    cr_assert_eq(readstate_add(rs, "http://a/1", &err), 0); /* again: no change */
    cr_expect_eq(readstate_count(rs), 2);
    cr_assert_eq(readstate_save(rs, &err), 0, "%s", err.msg); /* creates the folders */
    readstate_free(rs);

    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);

    cr_assert_eq(readstate_load(&rs, path, &err), 0, "%s", err.msg);
    cr_expect_eq(readstate_count(rs), 2);
    cr_expect(readstate_has(rs, "http://a/1"));
    cr_expect(readstate_has(rs, "http://a/2"));
    cr_expect_not(readstate_has(rs, "http://a/3"));
    readstate_free(rs);
}

Test(readstate, save_leaves_no_temporary_files)
{
    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0);
    for (int round = 0; round < 3; round++) {
        char id[32];
        snprintf(id, sizeof id, "http://a/%d", round);
        cr_assert_eq(readstate_add(rs, id, &err), 0);
        cr_assert_eq(readstate_save(rs, &err), 0, "%s", err.msg);
    }
    readstate_free(rs);
    char folder[160];
    snprintf(folder, sizeof folder, "%s/deeper/retreat", dir);
    DIR *d = opendir(folder);
    cr_assert_not_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.') {
            files++;
            cr_expect_str_eq(e->d_name, "read.txt");
        }
    closedir(d);
    cr_expect_eq(files, 1);
}

Test(readstate, many_ids)
{
    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0);
    char id[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "http://127.0.0.1:8080/comic/%d/3.html", i);
        cr_assert_eq(readstate_add(rs, id, &err), 0);
    }
    cr_assert_eq(readstate_save(rs, &err), 0);
    readstate_free(rs);
    cr_assert_eq(readstate_load(&rs, path, &err), 0, "%s", err.msg);
    cr_expect_eq(readstate_count(rs), 20000);
    for (int i = 0; i < 20000; i += 997) {
        snprintf(id, sizeof id, "http://127.0.0.1:8080/comic/%d/3.html", i);
        cr_expect(readstate_has(rs, id), "%s", id);
    }
    cr_expect_not(readstate_has(rs, "http://127.0.0.1:8080/comic/20000/3.html"));
    readstate_free(rs);
}

Test(readstate, comments_and_crlf_are_read)
{
    snprintf(path, sizeof path, "%s/read.txt", dir);
    const char text[] = "# header\r\nhttp://a/1\r\n\nhttp://a/2";
    write_file(path, text, sizeof text - 1);
    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0, "%s", err.msg);
    cr_expect_eq(readstate_count(rs), 2);
    cr_expect(readstate_has(rs, "http://a/1"));
    cr_expect(readstate_has(rs, "http://a/2"));
    readstate_free(rs);
}

Test(readstate, bad_files_are_errors_naming_them)
{
    struct readstate *rs;
    struct err err = {{0}};
    snprintf(path, sizeof path, "%s/binary.txt", dir);
    write_file(path, "http://a\0\x01\x02\n", 12);
    cr_expect_eq(readstate_load(&rs, path, &err), -1);
    cr_expect_not_null(strstr(err.msg, "binary.txt:1: not a text file"), "%s", err.msg);

    cr_expect_eq(readstate_load(&rs, dir, &err), -1); /* a folder */
    cr_expect_not_null(strstr(err.msg, dir), "%s", err.msg);

    snprintf(path, sizeof path, "%s/long.txt", dir);
    char *line = malloc(READSTATE_ID_MAX + 10);
    memset(line, 'x', READSTATE_ID_MAX + 9);
    line[READSTATE_ID_MAX + 9] = '\n';
    write_file(path, line, READSTATE_ID_MAX + 10);
    free(line);
    cr_expect_eq(readstate_load(&rs, path, &err), -1);
    cr_expect_not_null(strstr(err.msg, "too long"), "%s", err.msg);
}

Test(readstate, odd_ids_are_refused)
{
    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0);
    cr_expect_eq(readstate_add(rs, "", &err), -1);
    cr_expect_eq(readstate_add(rs, "http://a/\nhttp://b/", &err), -1);
    cr_expect_eq(readstate_count(rs), 0);
    readstate_free(rs);
}

Test(readstate, unwritable_folder_is_an_error)
{
    /* Nobody, not even root, can make a folder in /proc. */
    snprintf(path, sizeof path, "/proc/retreat/read.txt");
    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0);
    cr_expect_eq(readstate_save(rs, &err), -1);
    cr_expect_not_null(strstr(err.msg, "/proc/retreat/read.txt: cannot create the folder"), "%s",
                       err.msg);
    readstate_free(rs);
}

/* One run of `retreat comics`, cut down: load the state, wait at the barrier
 * until the other run has loaded too, record 20 comics of its own, save. */
static void child_run(int which, int loaded_fd, int go_fd)
{
    struct readstate *rs;
    struct err err = {{0}};
    char id[64], byte = 'x';
    if (readstate_load(&rs, path, &err) != 0)
        _exit(10);
    if (write(loaded_fd, &byte, 1) != 1 || read(go_fd, &byte, 1) != 1)
        _exit(11);
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "http://127.0.0.1:8081/comic/%d/3.html", which * 100 + i);
        if (readstate_add(rs, id, &err) != 0)
            _exit(12);
    }
    int rc = readstate_save(rs, &err);
    readstate_free(rs);
    _exit(rc == 0 ? 0 : 13);
}

/* Issue 11, item 2: two runs sharing one state file each recorded 20 comics,
 * and the later save threw away the earlier one's 20. Both runs load before
 * either saves (a barrier of pipes), so the race is hit every time. */
Test(readstate, concurrent_runs_lose_no_updates)
{
    int loaded[2], go[2];
    cr_assert_eq(pipe(loaded), 0);
    cr_assert_eq(pipe(go), 0);
    pid_t pids[2];
    for (int which = 0; which < 2; which++) {
        pids[which] = fork();
        cr_assert_geq(pids[which], 0);
        if (pids[which] == 0)
            child_run(which, loaded[1], go[0]);
    }
    char bytes[2];
    cr_assert_eq(read(loaded[0], bytes, 1), 1); /* both have loaded */
    cr_assert_eq(read(loaded[0], bytes + 1, 1), 1);
    cr_assert_eq(write(go[1], "gg", 2), 2); /* now both save */
    for (int which = 0; which < 2; which++) {
        int status;
        cr_assert_eq(waitpid(pids[which], &status, 0), pids[which]);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run %d: status %d", which,
                  status);
    }
    close(loaded[0]), close(loaded[1]), close(go[0]), close(go[1]);

    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0, "%s", err.msg);
    cr_expect_eq(readstate_count(rs), 40, "%zu of the 40 comics recorded", readstate_count(rs));
    cr_expect(readstate_has(rs, "http://127.0.0.1:8081/comic/0/3.html"));
    cr_expect(readstate_has(rs, "http://127.0.0.1:8081/comic/119/3.html"));
    readstate_free(rs);
}

/* A save merges in what another run saved since this one loaded, and the
 * run then knows those comics as read too. */
Test(readstate, save_merges_and_learns_what_others_saved)
{
    struct readstate *a, *b;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&a, path, &err), 0, "%s", err.msg);
    cr_assert_eq(readstate_load(&b, path, &err), 0, "%s", err.msg);
    cr_assert_eq(readstate_add(a, "http://a/1", &err), 0);
    cr_assert_eq(readstate_add(b, "http://b/1", &err), 0);
    cr_assert_eq(readstate_save(a, &err), 0, "%s", err.msg);
    cr_assert_eq(readstate_save(b, &err), 0, "%s", err.msg);
    cr_expect(readstate_has(b, "http://a/1"));
    cr_expect_eq(readstate_count(b), 2);
    readstate_free(a);
    readstate_free(b);
    cr_assert_eq(readstate_load(&a, path, &err), 0, "%s", err.msg);
    cr_expect(readstate_has(a, "http://a/1"));
    cr_expect(readstate_has(a, "http://b/1"));
    readstate_free(a);
}

/* Issue 11, item 4: a state just under the load limit plus new comics was
 * saved whole, and every later load refused it as over the limit. A save
 * now drops the oldest ids to stay within the limit, and says how many. */
Test(readstate, save_caps_the_file_at_the_load_limit)
{
    snprintf(path, sizeof path, "%s/read.txt", dir);
    /* Ids of 2000 bytes, as many as fit under the limit with the header. */
    char id[2001];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    size_t n = (READSTATE_MAX_BYTES - 100) / sizeof id;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(id, sizeof id, "http://old/%zu/", i);
        id[k] = 'x';
        fprintf(f, "%s\n", id);
    }
    cr_assert_eq(fclose(f), 0);

    struct readstate *rs;
    struct err err = {{0}};
    cr_assert_eq(readstate_load(&rs, path, &err), 0, "%s", err.msg);
    cr_assert_eq(readstate_count(rs), n);
    for (int i = 0; i < 10; i++) {
        int k = snprintf(id, sizeof id, "http://new/%d/", i);
        id[k] = 'x';
        cr_assert_eq(readstate_add(rs, id, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(readstate_save(rs, &err), 0, "%s", err.msg);
    size_t dropped = readstate_dropped(rs);
    cr_expect_gt(dropped, 0);
    cr_expect_leq(dropped, 10, "dropped %zu for 10 new ids", dropped);
    cr_expect_eq(readstate_count(rs), n + 10 - dropped);
    readstate_free(rs);

    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_leq(st.st_size, (off_t)READSTATE_MAX_BYTES);
    cr_assert_eq(readstate_load(&rs, path, &err), 0, "the next run cannot load: %s", err.msg);
    cr_expect_eq(readstate_count(rs), n + 10 - dropped);
    int k = snprintf(id, sizeof id, "http://new/9/");
    id[k] = 'x';
    cr_expect(readstate_has(rs, id), "the newest id was dropped");
    k = snprintf(id, sizeof id, "http://old/0/");
    id[k] = 'x';
    cr_expect_not(readstate_has(rs, id), "the oldest id was kept");
    readstate_free(rs);
}

Test(readstate, default_path_follows_xdg)
{
    char buf[256];
    struct err err = {{0}};
    setenv("XDG_STATE_HOME", "/x/state", 1);
    setenv("HOME", "/home/me", 1);
    cr_assert_eq(readstate_default_path(buf, sizeof buf, &err), 0);
    cr_expect_str_eq(buf, "/x/state/retreat/read.txt");
    setenv("XDG_STATE_HOME", "relative", 1); /* invalid by the spec: ignored */
    cr_assert_eq(readstate_default_path(buf, sizeof buf, &err), 0);
    cr_expect_str_eq(buf, "/home/me/.local/state/retreat/read.txt");
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    cr_expect_eq(readstate_default_path(buf, sizeof buf, &err), -1);
    cr_expect_not_null(strstr(err.msg, "--state"), "%s", err.msg);
}
