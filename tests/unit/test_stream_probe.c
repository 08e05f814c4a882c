/* test_stream_probe.c - ffprobe, temporary folders, a test pattern, running
 * retreat, and a loopback RTMP server for the stream tests; see
 * test_stream_probe.h. */
#include "test_stream_probe.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

static void copy_field(json_t *o, const char *key, char *dst, size_t cap)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(dst, cap, "%s", v ? v : "");
}

static double num_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v)) /* ffprobe prints times as strings */
        return atof(json_string_value(v));
    return json_is_number(v) ? json_number_value(v) : -1.0;
}

int probe_file(const char *path, struct probe *p, char *why, size_t cap)
{
    memset(p, 0, sizeof *p);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -of json -show_format -show_streams -show_packets '%s'", path);
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        snprintf(why, cap, "cannot run ffprobe");
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, 0, &jerr);
    int status = pclose(f);
    if (root == NULL || status != 0) {
        snprintf(why, cap, "ffprobe failed on %s (status %d): %s", path, status,
                 root ? "" : jerr.text);
        json_decref(root);
        return -1;
    }
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(root, "streams"), i, st)
    {
        const char *type = json_string_value(json_object_get(st, "codec_type"));
        if (type != NULL && strcmp(type, "video") == 0) {
            copy_field(st, "codec_name", p->vcodec, sizeof p->vcodec);
            copy_field(st, "profile", p->profile, sizeof p->profile);
            copy_field(st, "pix_fmt", p->pix_fmt, sizeof p->pix_fmt);
            p->width = (int)json_integer_value(json_object_get(st, "width"));
            p->height = (int)json_integer_value(json_object_get(st, "height"));
        } else if (type != NULL && strcmp(type, "audio") == 0) {
            copy_field(st, "codec_name", p->acodec, sizeof p->acodec);
            p->sample_rate = (int)num_field(st, "sample_rate");
            p->channels = (int)json_integer_value(json_object_get(st, "channels"));
        }
    }
    json_t *pk;
    json_array_foreach(json_object_get(root, "packets"), i, pk)
    {
        const char *type = json_string_value(json_object_get(pk, "codec_type"));
        if (type == NULL || strcmp(type, "video") != 0) {
            p->audio_packets++;
            continue;
        }
        double pts = num_field(pk, "pts_time");
        if (p->video_packets++ == 0)
            p->video_start = pts;
        double end = pts + num_field(pk, "duration_time");
        if (end > p->video_end)
            p->video_end = end;
        const char *flags = json_string_value(json_object_get(pk, "flags"));
        int key = flags != NULL && strchr(flags, 'K') != NULL;
        if (key && p->keys < PROBE_MAX_KEYS)
            p->key_times[p->keys++] = pts;
        if (p->video_packets <= PROBE_MAX_PACKETS) {
            p->pts[p->video_packets - 1] = pts;
            p->key[p->video_packets - 1] = (char)key;
        }
    }
    p->format_duration = num_field(json_object_get(root, "format"), "duration");
    json_decref(root);
    return 0;
}

void probe_tmpdir(char *dir)
{
    snprintf(dir, 64, "/tmp/retreat-stream-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
}

void probe_rmdir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

void probe_pattern(uint8_t *rgb, int width, int height, long i)
{
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            uint8_t *px = rgb + ((size_t)y * width + x) * 3;
            px[0] = (uint8_t)(x + 4 * i);
            px[1] = (uint8_t)(y + 2 * i);
            px[2] = (uint8_t)((x / 32 + y / 32) % 2 ? 200 : 40);
        }
}

void probe_retreat_path(char *path, size_t cap)
{
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        abort();
    self[n] = '\0';
    /* $BUILD/tests/unit -> $BUILD/retreat */
    char *tests = dirname(self);
    snprintf(path, cap, "%s/../retreat", tests);
}

pid_t probe_spawn(const char *log_path, const char *const *args)
{
    char exe[600];
    probe_retreat_path(exe, sizeof exe);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        _exit(127);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    const char *argv[32] = {exe};
    for (int i = 0; args[i] != NULL && i < 30; i++)
        argv[i + 1] = args[i];
    execv(exe, (char *const *)argv);
    _exit(127);
}

int probe_wait(pid_t pid, int timeout_s)
{
    int status;
    for (int waited = 0; waited < timeout_s * 10; waited++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        usleep(100 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

char *probe_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (grown == NULL)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

int probe_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

static int accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int rtmp_start(struct rtmp_server *s, int port, char *why, size_t cap)
{
    if (port == 0) {
        probe_tmpdir(s->dir);
        port = probe_free_port();
    }
    s->port = port;
    char path[128], conf[160];
    snprintf(path, sizeof path, "%s/rec", s->dir);
    mkdir(path, 0755);
    snprintf(conf, sizeof conf, "%s/nginx.conf", s->dir);
    char *tmpl = probe_slurp("tests/stream/nginx-rtmp.conf.in");
    FILE *out = fopen(conf, "w");
    if (tmpl == NULL || out == NULL) {
        snprintf(why, cap, "cannot read tests/stream/nginx-rtmp.conf.in or write %s", conf);
        free(tmpl);
        if (out != NULL)
            fclose(out);
        return -1;
    }
    for (const char *p = tmpl; *p != '\0'; p++) {
        if (strncmp(p, "@DIR@", 5) == 0) {
            fputs(s->dir, out);
            p += 4;
        } else if (strncmp(p, "@PORT@", 6) == 0) {
            fprintf(out, "%d", port);
            p += 5;
        } else {
            fputc(*p, out);
        }
    }
    fclose(out);
    free(tmpl);

    char errlog[128];
    snprintf(errlog, sizeof errlog, "%s/error.log", s->dir);
    s->pid = fork();
    if (s->pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execl("/usr/sbin/nginx", "nginx", "-p", s->dir, "-e", errlog, "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 50; i++) {
        if (accepts(port))
            return 0;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
            break;
        usleep(100 * 1000);
    }
    snprintf(why, cap, "nginx did not start on port %d; see %s", port, errlog);
    rtmp_stop(s, 1);
    return -1;
}

void rtmp_stop(struct rtmp_server *s, int hard)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, hard ? SIGKILL : SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

static int by_mtime(const void *a, const void *b)
{
    struct stat sa, sb;
    stat((const char *)a, &sa);
    stat((const char *)b, &sb);
    if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec)
        return sa.st_mtim.tv_sec < sb.st_mtim.tv_sec ? -1 : 1;
    return strcmp((const char *)a, (const char *)b);
}

int rtmp_recordings(const struct rtmp_server *s, char paths[][256], int max)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/rec", s->dir);
    DIR *d = opendir(dir);
    int n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < max;)
        if (e->d_name[0] != '.')
            snprintf(paths[n++], 256, "%s/%s", dir, e->d_name);
    closedir(d);
    qsort(paths, (size_t)n, 256, by_mtime);
    return n;
}
