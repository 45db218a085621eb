/* live_follow.c: the live index follows its store: ad_live_follow reads the index log after the
 * last row applied (with the state of what each row names), then takes the write lock only to
 * apply the batch; the follower thread does so every interval on its own connection and, on
 * PostgreSQL, also at once when a writer's trigger notifies 'ariadne_index' (LISTEN on a libpq
 * connection of its own: a wake-up only, the rows are still read from the log). */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/util.h"
#include "live/live_int.h"

#define FOLLOW_BATCH 4096

struct batch {
    ad_ixchange *v;
    char (*names)[128];
    size_t n;
};

static int on_change(void *ctx, const ad_ixchange *c)
{
    struct batch *b = ctx;
    b->v[b->n] = *c;
    snprintf(b->names[b->n], sizeof b->names[0], "%s", c->name ? c->name : "");
    b->v[b->n].name = b->names[b->n];
    b->n++;
    return 0;
}

ad_code ad_live_follow(ad_live *lv, ad_store *st, size_t *applied, ad_err *err)
{
    struct batch b = {malloc(FOLLOW_BATCH * sizeof *b.v), malloc(FOLLOW_BATCH * 128), 0};
    ad_code rc = b.v && b.names ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t total = 0;
    /* only the follower moves seq: reading it without the lock is safe */
    int64_t after = __atomic_load_n(&lv->seq, __ATOMIC_SEQ_CST);
    while (rc == AD_OK) {
        b.n = 0;
        rc = ad_store_index_changes(st, after, FOLLOW_BATCH, on_change, &b, err);
        if (rc != AD_OK || b.n == 0)
            break;
        pthread_rwlock_wrlock(&lv->lock);
        for (size_t i = 0; i < b.n && rc == AD_OK; i++) {
            rc = ad_live_apply(lv, &b.v[i], err);
            if (rc == AD_OK)
                __atomic_store_n(&lv->seq, b.v[i].seq, __ATOMIC_SEQ_CST);
        }
        pthread_rwlock_unlock(&lv->lock);
        total += b.n;
        after = b.v[b.n - 1].seq;
        if (b.n < FOLLOW_BATCH)
            break;
    }
    free(b.v);
    free(b.names);
    if (applied)
        *applied = total;
    pthread_mutex_lock(&lv->st_mu);
    lv->follows++;
    if (rc == AD_OK) {
        lv->last_follow = ad_now();
        lv->follow_error = AD_OK;
        lv->follow_msg[0] = 0;
    } else {
        lv->follow_error = rc;
        snprintf(lv->follow_msg, sizeof lv->follow_msg, "%s", err ? err->msg : "");
    }
    pthread_mutex_unlock(&lv->st_mu);
    return rc;
}

/* ---- the follower thread --------------------------------------------------------------- */

static int stopping(ad_live *lv)
{
    pthread_mutex_lock(&lv->st_mu);
    int s = lv->stop;
    pthread_mutex_unlock(&lv->st_mu);
    return s;
}

static void note_error(ad_live *lv, const ad_err *e)
{
    pthread_mutex_lock(&lv->st_mu);
    lv->follow_error = e->code ? e->code : AD_ERR_IO;
    snprintf(lv->follow_msg, sizeof lv->follow_msg, "%s", e->msg);
    pthread_mutex_unlock(&lv->st_mu);
}

/* A libpq connection listening on 'ariadne_index', or NULL (then polling alone). */
static PGconn *listen_pg(const char *url)
{
    if (strncmp(url, "postgresql://", 13) && strncmp(url, "postgres://", 11))
        return NULL;
    PGconn *c = PQconnectdb(url);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "LISTEN ariadne_index");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok || PQsetnonblocking(c, 1) != 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Waits up to ms for a notification (drained), or sleeps ms when there is no listener. */
static void wait_wake(PGconn **pg, int ms)
{
    if (!*pg) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return;
    }
    struct pollfd p = {PQsocket(*pg), POLLIN, 0};
    int n = poll(&p, 1, ms);
    if (n > 0) {
        if (!PQconsumeInput(*pg)) { /* the connection is gone: poll alone until the next try */
            PQfinish(*pg);
            *pg = NULL;
            return;
        }
        PGnotify *nf;
        while ((nf = PQnotifies(*pg)))
            PQfreemem(nf);
    }
}

static void *follower(void *arg)
{
    ad_live *lv = arg;
    ad_store *st = NULL;
    PGconn *pg = NULL;
    double next_listen = 0;
    while (!stopping(lv)) {
        ad_err e;
        ad_err_clear(&e);
        if (!st && ad_store_open(&st, lv->url, 0, &e) != AD_OK) {
            st = NULL;
            note_error(lv, &e);
        }
        if (!pg && ad_now() >= next_listen) {
            pg = listen_pg(lv->url);
            next_listen = ad_now() + 5;
        }
        if (st && ad_live_follow(lv, st, NULL, &e) != AD_OK &&
            (e.code == AD_ERR_IO || e.code == AD_ERR_DB)) {
            ad_store_close(st); /* opened again next round */
            st = NULL;
        }
        wait_wake(&pg, lv->interval_ms);
    }
    PQfinish(pg);
    ad_store_close(st);
    return NULL;
}

ad_code ad_live_follow_start(ad_live *lv, const char *url, int interval_ms, ad_err *err)
{
    pthread_mutex_lock(&lv->st_mu);
    int running = lv->running;
    pthread_mutex_unlock(&lv->st_mu);
    if (running)
        return ad_err_set(err, AD_ERR_ARG, "the live index already has a follower");
    free(lv->url);
    if (!(lv->url = strdup(ad_store_resolve_url(url))))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    lv->interval_ms = interval_ms > 0 ? interval_ms : 200;
    lv->stop = 0;
    int e = pthread_create(&lv->thread, NULL, follower, lv);
    if (e)
        return ad_err_set(err, AD_ERR_IO, "cannot start the follower thread: %s", strerror(e));
    pthread_mutex_lock(&lv->st_mu);
    lv->running = 1;
    pthread_mutex_unlock(&lv->st_mu);
    return AD_OK;
}

void ad_live_follow_stop(ad_live *lv)
{
    if (!lv)
        return;
    pthread_mutex_lock(&lv->st_mu);
    int running = lv->running;
    lv->stop = 1;
    lv->running = 0;
    pthread_mutex_unlock(&lv->st_mu);
    if (running)
        pthread_join(lv->thread, NULL);
}
