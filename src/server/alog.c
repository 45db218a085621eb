/* alog.c: the access log: JSON Lines (time, client, key id, user, method, route pattern, status,
 * bytes in and out, microseconds, the problem's name) to a file opened with O_APPEND, created
 * private (0600). Unbuffered, each line is one write(2) (lines of several threads and servers
 * never mix, a line written is in the file even if the process is killed). Buffered (the server
 * with batched read audits: docs/server.md), lines gather in memory and go out in one write when
 * the buffer is full, when the reads' audit flusher asks (every second, before it commits the
 * rows whose digests cover them) and at the end: one write(2) per request cost a tenth of a
 * digest match. Paths are never logged, only the route's pattern (a path may hold a hash an
 * investigator looked up). Lines are formatted by hand (no printf: it was a twentieth of a
 * request). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/http.h"

struct ad_alog {
    int fd;
    int own;            /* opened here (closed at the end) */
    pthread_mutex_t mu; /* guards the buffer; a write-out is made under it (in order) */
    char *buf;          /* NULL: unbuffered */
    size_t len, cap;
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
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return AD_OK;
}

/* len bytes of s at buf[n], cut to the buffer; the new length (at most cap-1), NUL after. */
static size_t put_mem(char *buf, size_t n, size_t cap, const char *s, size_t len)
{
    if (n + len >= cap)
        len = cap - 1 - n;
    memcpy(buf + n, s, len);
    n += len;
    buf[n] = 0;
    return n;
}

#define put(buf, n, cap, lit) put_mem(buf, n, cap, lit, sizeof(lit) - 1)

/* A whole number in decimal at buf[n]. */
static size_t put_u64(char *buf, size_t n, size_t cap, unsigned long long v)
{
    char d[24];
    size_t k = sizeof d;
    do
        d[--k] = (char)('0' + v % 10);
    while ((v /= 10));
    return put_mem(buf, n, cap, d + k, sizeof d - k);
}

static size_t put_i64(char *buf, size_t n, size_t cap, long long v)
{
    if (v >= 0)
        return put_u64(buf, n, cap, (unsigned long long)v);
    n = put(buf, n, cap, "-");
    return put_u64(buf, n, cap, 0ull - (unsigned long long)v);
}

/* time as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (UTC, microseconds) at buf[n]; the date and time of
 * the second are kept per thread (a server writes many lines a second). */
static size_t put_time(char *buf, size_t n, size_t cap, double time)
{
    static _Thread_local struct {
        time_t t;
        int ok;
        char s[32];
        size_t len;
    } sec;
    time_t t = (time_t)time;
    if (!sec.ok || sec.t != t) {
        struct tm tm;
        gmtime_r(&t, &tm);
        sec.len = strftime(sec.s, sizeof sec.s, "%Y-%m-%dT%H:%M:%S", &tm);
        sec.t = t;
        sec.ok = 1;
    }
    char frac[9] = ".000000Z";
    int us = (int)((time - (double)t) * 1e6) % 1000000;
    for (int i = 6; i >= 1 && us > 0; i--, us /= 10)
        frac[i] = (char)('0' + us % 10);
    n = put_mem(buf, n, cap, sec.s, sec.len);
    return put_mem(buf, n, cap, frac, 8);
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

/* A line being written: {"time": ..., then members, then "}\n". */
typedef struct line {
    char *buf;
    size_t n, cap, room; /* cap: the buffer's size less "}\n"; room: each string's */
} line;

static void line_start(line *l, char *buf, size_t cap, int strings, double time)
{
    l->buf = buf;
    l->cap = cap - 2;
    l->room = str_room(l->cap, strings);
    l->n = put(buf, 0, l->cap, "{\"time\":\"");
    l->n = put_time(buf, l->n, l->cap, time);
    l->n = put(buf, l->n, l->cap, "\"");
}

/* ,"key":"s" (null when s is NULL) */
static void line_str(line *l, const char *key, const char *s)
{
    l->n = put_mem(l->buf, l->n, l->cap, key, strlen(key));
    l->n = put_str_lim(l->buf, l->n, l->cap, l->room, s);
}

/* ,"key":v */
static void line_int(line *l, const char *key, long long v)
{
    l->n = put_mem(l->buf, l->n, l->cap, key, strlen(key));
    l->n = put_i64(l->buf, l->n, l->cap, v);
}

static void line_u64(line *l, const char *key, unsigned long long v)
{
    l->n = put_mem(l->buf, l->n, l->cap, key, strlen(key));
    l->n = put_u64(l->buf, l->n, l->cap, v);
}

static size_t line_end(line *l)
{
    l->buf[l->n++] = '}';
    l->buf[l->n++] = '\n';
    l->buf[l->n] = 0;
    return l->n;
}

size_t ad_alog_format(const ad_alog_entry *e, char *buf, size_t cap)
{
    line l;
    line_start(&l, buf, cap, 6, e->time);
    line_str(&l, ",\"client\":", e->client);
    line_str(&l, ",\"key_id\":", e->key_id);
    line_str(&l, ",\"user\":", e->user);
    line_str(&l, ",\"method\":", e->method);
    line_str(&l, ",\"route\":", e->route);
    line_int(&l, ",\"status\":", e->status);
    line_u64(&l, ",\"bytes_in\":", e->bytes_in);
    line_u64(&l, ",\"bytes_out\":", e->bytes_out);
    line_u64(&l, ",\"us\":", e->us);
    line_str(&l, ",\"problem\":", e->problem);
    return line_end(&l);
}

size_t ad_alog_read_format(char *buf, size_t cap, double time, const char *who, int64_t agency_id,
                           const char *action, const char *object, const char *detail)
{
    line l;
    line_start(&l, buf, cap, 5, time);
    line_str(&l, ",\"read\":", action);
    line_str(&l, ",\"who\":", who);
    line_int(&l, ",\"agency\":", agency_id);
    line_str(&l, ",\"object\":", object);
    line_str(&l, ",\"detail\":", detail);
    return line_end(&l);
}

/* Writes n bytes whole (a short write is continued; a failure drops the rest: the log is not
 * worth stopping a server for). */
static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

ad_code ad_alog_buffer(ad_alog *l, size_t cap, ad_err *err)
{
    if (!l)
        return AD_OK;
    char *b = malloc(cap);
    if (!b)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    pthread_mutex_lock(&l->mu);
    free(l->buf);
    l->buf = b;
    l->cap = cap;
    l->len = 0;
    pthread_mutex_unlock(&l->mu);
    return AD_OK;
}

void ad_alog_raw(ad_alog *l, const char *line, size_t n)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    if (!l->buf) {
        /* one write: O_APPEND makes it atomic against the other threads' lines */
        write_all(l->fd, line, n);
    } else {
        if (l->len + n > l->cap) {
            write_all(l->fd, l->buf, l->len);
            l->len = 0;
        }
        if (n > l->cap) {
            write_all(l->fd, line, n);
        } else {
            memcpy(l->buf + l->len, line, n);
            l->len += n;
        }
    }
    pthread_mutex_unlock(&l->mu);
}

void ad_alog_flush(ad_alog *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    if (l->len)
        write_all(l->fd, l->buf, l->len);
    l->len = 0;
    pthread_mutex_unlock(&l->mu);
}

void ad_alog_write(ad_alog *l, const ad_alog_entry *e)
{
    if (!l)
        return;
    char line[2048];
    ad_alog_raw(l, line, ad_alog_format(e, line, sizeof line));
}

void ad_alog_close(ad_alog *l)
{
    if (!l)
        return;
    ad_alog_flush(l);
    fsync(l->fd);
    if (l->own)
        close(l->fd);
    pthread_mutex_destroy(&l->mu);
    free(l->buf);
    free(l);
}
