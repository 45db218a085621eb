/* readlog.c: reads audited in batches (docs/server.md, "Reads in the audit"). A busy server
 * reads for many callers at once; one audit row per read would serialise every reader on the
 * audit head. Instead each read becomes a line of the access log at once, and at most every
 * interval seconds each (who, agency, action) group of reads becomes one audit row naming the
 * count and the SHA-256 of its lines: the chain stays linear, its rows prove which access-log
 * lines existed (an edited or deleted line no longer matches), and readers take no database
 * lock for their audit. The access log is buffered (alog.c): a flush writes the log's buffer
 * out before it commits the rows whose digests cover its lines. Digests by OpenSSL (SHA-NI:
 * five times libsodium's portable SHA-256 on a line). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/evp.h>

#include "ariadne/util.h"
#include "server/http.h"

typedef struct group {
    char *who, *action;
    int64_t agency_id;
    uint64_t count;
    double first, last;
    EVP_MD_CTX *h; /* SHA-256 of the group's lines so far */
} group;

typedef struct batch {
    group *v;
    size_t n, cap;
} batch;

struct ad_readlog {
    ad_alog *alog;
    ad_store *st; /* the flusher's own connection */
    double interval;
    pthread_mutex_t mu; /* guards cur and the order of lines against their digests */
    batch cur;
    batch pending; /* a batch whose rows could not be written yet: written first next time */
    pthread_mutex_t flush_mu; /* one flush at a time */
    pthread_mutex_t wake_mu;
    pthread_cond_t wake;
    int stop;
    pthread_t th;
    int started;
};

static double wall(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void batch_free(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].who);
        free(b->v[i].action);
        EVP_MD_CTX_free(b->v[i].h);
    }
    free(b->v);
    memset(b, 0, sizeof *b);
}

static group *group_of(batch *b, const char *who, int64_t agency_id, const char *action)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].agency_id == agency_id && !strcmp(b->v[i].who, who) &&
            !strcmp(b->v[i].action, action))
            return &b->v[i];
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        group *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return NULL;
        b->v = v;
        b->cap = cap;
    }
    group *g = &b->v[b->n];
    memset(g, 0, sizeof *g);
    g->who = strdup(who);
    g->action = strdup(action);
    g->h = EVP_MD_CTX_new();
    if (!g->who || !g->action || !g->h || !EVP_DigestInit_ex(g->h, EVP_sha256(), NULL)) {
        free(g->who);
        free(g->action);
        EVP_MD_CTX_free(g->h);
        return NULL;
    }
    g->agency_id = agency_id;
    b->n++;
    return g;
}

void ad_readlog_sink(void *ctx, const char *who, int64_t agency_id, const char *action,
                     const char *object, const char *detail)
{
    ad_readlog *rl = ctx;
    char line[2048];
    double now = wall();
    who = who ? who : "";
    action = action ? action : "read";
    size_t n = ad_alog_read_format(line, sizeof line, now, who, agency_id, action, object, detail);
    pthread_mutex_lock(&rl->mu);
    group *g = group_of(&rl->cur, who, agency_id, action);
    if (g) {
        if (!g->count)
            g->first = now;
        g->count++;
        g->last = now;
        EVP_DigestUpdate(g->h, line, n);
    }
    /* appended under the lock: the file's order of a group's lines is its digest's order */
    ad_alog_raw(rl->alog, line, n);
    pthread_mutex_unlock(&rl->mu);
}

/* One audit row per group of b, in one transaction. */
static ad_code write_batch(ad_readlog *rl, batch *b, ad_err *err)
{
    if (!b->n)
        return AD_OK;
    ad_code rc = ad_store_begin(rl->st, err);
    for (size_t i = 0; rc == AD_OK && i < b->n; i++) {
        group *g = &b->v[i];
        uint8_t d[32];
        char hex[65], t0[32], t1[32], detail[256];
        EVP_MD_CTX *h = EVP_MD_CTX_new(); /* a copy: a failed write can be tried again */
        int ok = h && EVP_MD_CTX_copy_ex(h, g->h) && EVP_DigestFinal_ex(h, d, NULL);
        EVP_MD_CTX_free(h);
        if (!ok) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory for a digest");
            break;
        }
        snprintf(detail, sizeof detail, "reads=%llu lines_sha256=%s from=%s to=%s",
                 (unsigned long long)g->count, ad_hex_encode(d, 32, hex),
                 ad_time_iso((int64_t)g->first, t0), ad_time_iso((int64_t)g->last, t1));
        ad_store_set_actor(rl->st, g->who, g->agency_id);
        ad_store_set_origin(rl->st, NULL);
        rc = ad_store_audit(rl->st, g->action, NULL, detail, err);
    }
    if (rc == AD_OK)
        return ad_store_commit(rl->st, err);
    ad_store_rollback(rl->st, NULL);
    return rc;
}

ad_code ad_readlog_flush(ad_readlog *rl, ad_err *err)
{
    pthread_mutex_lock(&rl->flush_mu);
    ad_code rc = write_batch(rl, &rl->pending, err);
    if (rc == AD_OK) {
        batch_free(&rl->pending);
        pthread_mutex_lock(&rl->mu);
        rl->pending = rl->cur;
        memset(&rl->cur, 0, sizeof rl->cur);
        pthread_mutex_unlock(&rl->mu);
    }
    /* the lines the rows digest are in the file before the rows are committed (and the log's
     * other lines reach it within an interval, whatever the store does) */
    ad_alog_flush(rl->alog);
    if (rc == AD_OK) {
        rc = write_batch(rl, &rl->pending, err);
        if (rc == AD_OK)
            batch_free(&rl->pending);
    }
    pthread_mutex_unlock(&rl->flush_mu);
    return rc;
}

static void *flusher(void *p)
{
    ad_readlog *rl = p;
    pthread_mutex_lock(&rl->wake_mu);
    while (!rl->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = (double)ts.tv_sec + ts.tv_nsec / 1e9 + rl->interval;
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&rl->wake, &rl->wake_mu, &ts);
        if (rl->stop)
            break;
        pthread_mutex_unlock(&rl->wake_mu);
        ad_err err;
        if (ad_readlog_flush(rl, &err) != AD_OK)
            fprintf(stderr, "ariadne serve: the reads' audit rows wait: %s\n", err.msg);
        pthread_mutex_lock(&rl->wake_mu);
    }
    pthread_mutex_unlock(&rl->wake_mu);
    return NULL;
}

ad_code ad_readlog_start(ad_readlog **out, const char *db_url, ad_alog *alog, double interval,
                         ad_err *err)
{
    *out = NULL;
    ad_readlog *rl = calloc(1, sizeof *rl);
    if (!rl)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    rl->alog = alog;
    rl->interval = interval > 0 ? interval : 1.0;
    pthread_mutex_init(&rl->mu, NULL);
    pthread_mutex_init(&rl->flush_mu, NULL);
    pthread_mutex_init(&rl->wake_mu, NULL);
    pthread_cond_init(&rl->wake, NULL);
    ad_code rc = ad_store_open(&rl->st, db_url, 0, err);
    if (rc == AD_OK && pthread_create(&rl->th, NULL, flusher, rl) != 0)
        rc = ad_err_set(err, AD_ERR_INTERNAL, "cannot start the audit flusher thread");
    if (rc != AD_OK) {
        ad_store_close(rl->st);
        free(rl);
        return rc;
    }
    rl->started = 1;
    *out = rl;
    return AD_OK;
}

void ad_readlog_stop(ad_readlog *rl)
{
    if (!rl)
        return;
    pthread_mutex_lock(&rl->wake_mu);
    rl->stop = 1;
    pthread_cond_signal(&rl->wake);
    pthread_mutex_unlock(&rl->wake_mu);
    if (rl->started)
        pthread_join(rl->th, NULL);
    ad_err err;
    if (ad_readlog_flush(rl, &err) != AD_OK)
        fprintf(stderr, "ariadne serve: %zu groups of reads could not be audited: %s\n",
                rl->pending.n + rl->cur.n, err.msg);
    batch_free(&rl->cur);
    batch_free(&rl->pending);
    ad_store_close(rl->st);
    pthread_mutex_destroy(&rl->mu);
    pthread_mutex_destroy(&rl->flush_mu);
    pthread_mutex_destroy(&rl->wake_mu);
    pthread_cond_destroy(&rl->wake);
    free(rl);
}
