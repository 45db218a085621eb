/* alog.c: the access log: JSON Lines (time, client, key id, user, method, route pattern, status,
 * bytes in and out, microseconds, the problem's name), one write(2) per line to a file opened
 * with O_APPEND, created private (0600): lines of several threads and several servers never mix,
 * and a line written is in the file even if the process is killed. Paths are never logged, only
 * the route's pattern (a path may hold a hash an investigator looked up). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/http.h"

struct ad_alog {
    int fd;
    int own; /* opened here (closed at the end) */
};

ad_code ad_alog_open(ad_alog **out, const char *path, ad_err *err)
{
    *out = NULL;
    ad_alog *l = calloc(1, sizeof *l);
    if (!l)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!strcmp(path, "-")) {
        l->fd = STDOUT_FILENO;
    } else {
        l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (l->fd < 0) {
            int e = errno;
            free(l);
            return ad_err_set(err, AD_ERR_IO, "cannot open the access log %s: %s", path,
                              strerror(e));
        }
        struct stat sb;
        if (fstat(l->fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid())
            fchmod(l->fd, 0600); /* an existing log of ours is narrowed */
        l->own = 1;
    }
    *out = l;
    return AD_OK;
}

/* printf at buf[n], cut to the buffer; the new length (at most cap-1). */
static size_t put(char *buf, size_t n, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t n, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
    n += k > 0 ? (size_t)k : 0;
    return n < cap ? n : cap - 1;
}

/* s as a JSON string (quoted, escaped; bytes that are not printable ASCII as \u00XX, so that a
 * hostile header cannot break a line) at buf[n], cut at a whole character so that it takes at
 * most lim bytes (the line's other members keep their room: a line stays one JSON object
 * whatever its strings hold); the new length. */
static size_t put_str_lim(char *buf, size_t n, size_t cap, size_t lim, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t end = n + lim < cap ? n + lim : cap;
    if (!s)
        return n + 4 < end ? put(buf, n, cap, "null") : n;
    if (n + 2 >= end)
        return n;
    buf[n++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        size_t need = (c == '"' || c == '\\') ? 2 : (c < 0x20 || c >= 0x7f) ? 6 : 1;
        if (n + need + 1 >= end)
            break;
        if (need == 2) {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (need == 6) {
            memcpy(buf + n, "\\u00", 4);
            buf[n + 4] = hex[c >> 4];
            buf[n + 5] = hex[c & 15];
            n += 6;
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n++] = '"';
    buf[n] = 0;
    return n;
}

/* The room each of a line's strings may take in cap bytes: the line's fixed members (numbers,
 * names, the time) take under 300. */
static size_t str_room(size_t cap, int strings)
{
    return cap > 300 + 16 * (size_t)strings ? (cap - 300) / (size_t)strings : 16;
}

#define put_str(buf, n, cap, s) put_str_lim(buf, n, cap, room, s)

size_t ad_alog_format(const ad_alog_entry *e, char *buf, size_t cap)
{
    char when[40];
    time_t t = (time_t)e->time;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + k, sizeof when - k, ".%06dZ", (int)((e->time - (double)t) * 1e6) % 1000000);
    cap -= 2; /* room for "}\n" */
    size_t room = str_room(cap, 6);
    size_t n = put(buf, 0, cap, "{\"time\":\"%s\",\"client\":", when);
    n = put_str(buf, n, cap, e->client);
    n = put(buf, n, cap, ",\"key_id\":");
    n = put_str(buf, n, cap, e->key_id);
    n = put(buf, n, cap, ",\"user\":");
    n = put_str(buf, n, cap, e->user);
    n = put(buf, n, cap, ",\"method\":");
    n = put_str(buf, n, cap, e->method);
    n = put(buf, n, cap, ",\"route\":");
    n = put_str(buf, n, cap, e->route);
    n = put(buf, n, cap,
            ",\"status\":%d,\"bytes_in\":%llu,\"bytes_out\":%llu,\"us\":%llu,\"problem\":",
            e->status, (unsigned long long)e->bytes_in, (unsigned long long)e->bytes_out,
            (unsigned long long)e->us);
    n = put_str(buf, n, cap, e->problem);
    buf[n++] = '}';
    buf[n++] = '\n';
    buf[n] = 0;
    return n;
}

size_t ad_alog_read_format(char *buf, size_t cap, double time, const char *who, int64_t agency_id,
                           const char *action, const char *object, const char *detail)
{
    char when[40];
    time_t t = (time_t)time;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + k, sizeof when - k, ".%06dZ", (int)((time - (double)t) * 1e6) % 1000000);
    cap -= 2;
    size_t room = str_room(cap, 5);
    size_t n = put(buf, 0, cap, "{\"time\":\"%s\",\"read\":", when);
    n = put_str(buf, n, cap, action);
    n = put(buf, n, cap, ",\"who\":");
    n = put_str(buf, n, cap, who);
    n = put(buf, n, cap, ",\"agency\":%lld,\"object\":", (long long)agency_id);
    n = put_str(buf, n, cap, object);
    n = put(buf, n, cap, ",\"detail\":");
    n = put_str(buf, n, cap, detail);
    buf[n++] = '}';
    buf[n++] = '\n';
    buf[n] = 0;
    return n;
}

void ad_alog_raw(ad_alog *l, const char *line, size_t n)
{
    if (!l)
        return;
    ssize_t w;
    do
        w = write(l->fd, line, n);
    while (w < 0 && errno == EINTR);
}

void ad_alog_write(ad_alog *l, const ad_alog_entry *e)
{
    if (!l)
        return;
    char line[2048];
    size_t n = ad_alog_format(e, line, sizeof line);
    /* one write: O_APPEND makes it atomic against the other threads' lines */
    ssize_t w;
    do
        w = write(l->fd, line, n);
    while (w < 0 && errno == EINTR);
}

void ad_alog_close(ad_alog *l)
{
    if (!l)
        return;
    fsync(l->fd);
    if (l->own)
        close(l->fd);
    free(l);
}
