/* syncer.c: `ariadne serve --sync-every`: a thread that syncs with every trusted peer that has
 * a URL, every interval, through ad_fed_sync (the code path of `ariadne sync PEER`, audited the
 * same way) on a store connection of its own. A failure is reported to the caller's log
 * function and that peer is retried with backoff (the interval doubled per failure in a row, up
 * to 64 intervals or an hour); after a failed push the retry sends everything held (`--all`),
 * since the lost bundle counted as sent. Never stops the server. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/util.h"
#include "fed_int.h"

#define MAX_PEERS 256
#define BACKOFF_MAX_S 3600.0

typedef struct {
    char name[72];
    double last_try, last_ok, next;
    int failures, resend; /* resend: the last push failed, send everything next time */
    char result[256];     /* "ok" or the error */
    ad_fed_sync_result r;
    int seen;
} peer_state;

struct ad_fed_syncer {
    char *url;
    ad_fed_key key;
    double every;
    ad_fed_log_fn log;
    void *log_ctx;
    ad_store *st;
    pthread_t thread;
    pthread_mutex_t mu; /* guards stop, peers, n */
    pthread_cond_t cv;
    int stop;
    peer_state peers[MAX_PEERS];
    size_t n;
    int64_t rounds;
};

static void say(ad_fed_syncer *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->log)
        s->log(s->log_ctx, line);
}

static int stopping(void *ctx)
{
    ad_fed_syncer *s = ctx;
    pthread_mutex_lock(&s->mu);
    int v = s->stop;
    pthread_mutex_unlock(&s->mu);
    return v;
}

typedef struct {
    char names[MAX_PEERS][72];
    size_t n;
} name_list;

static int with_url(void *ctx, const ad_fed_peer *p)
{
    name_list *l = ctx;
    if (p->url && p->url[0] && l->n < MAX_PEERS)
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", p->name);
    return 0;
}

/* The state of peer `name` (added when new); under mu. */
static peer_state *state_of(ad_fed_syncer *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->peers[i].name, name))
            return &s->peers[i];
    if (s->n == MAX_PEERS)
        return NULL;
    peer_state *p = &s->peers[s->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    return p;
}

static void sync_one(ad_fed_syncer *s, const char *name)
{
    pthread_mutex_lock(&s->mu);
    peer_state *p = state_of(s, name);
    int due = p && p->next <= ad_now(), all = p ? p->resend : 0;
    if (p)
        p->seen = 1;
    pthread_mutex_unlock(&s->mu);
    if (!due)
        return;
    ad_fed_sync_result r;
    ad_err e;
    ad_err_clear(&e);
    double t = ad_now();
    ad_code rc = ad_fed_sync(s->st, &s->key, name, all, stopping, s, &r, &e);
    pthread_mutex_lock(&s->mu);
    p->last_try = t;
    p->r = r;
    if (rc == AD_OK) {
        p->last_ok = t;
        p->failures = 0;
        p->resend = 0;
        p->next = t + s->every;
        snprintf(p->result, sizeof p->result, "ok");
    } else {
        p->failures++;
        if (r.stage == AD_FED_SYNC_PUSH)
            p->resend = 1;
        double wait = s->every * (double)(1u << (p->failures < 6 ? p->failures : 6));
        if (wait > BACKOFF_MAX_S && s->every < BACKOFF_MAX_S)
            wait = BACKOFF_MAX_S;
        p->next = t + wait;
        snprintf(p->result, sizeof p->result, "%s", e.msg);
    }
    int failures = p->failures;
    double next = p->next - t;
    pthread_mutex_unlock(&s->mu);
    if (rc == AD_OK) {
        if (r.sent.changes || r.got.applied)
            say(s, "sync %s: sent %lld change sets (%lld changes), received %lld (%lld changes "
                   "applied, %lld already here)",
                name, (long long)r.sent.sets, (long long)r.sent.changes, (long long)r.got.sets,
                (long long)r.got.applied, (long long)r.got.skipped);
    } else if (!stopping(s)) {
        say(s, "sync %s failed (%d in a row; next try in %.0f s%s): %s", name, failures, next,
            r.stage == AD_FED_SYNC_PUSH ? ", sending everything held" : "", e.msg);
    }
}

static void round_once(ad_fed_syncer *s)
{
    name_list *l = calloc(1, sizeof *l);
    ad_err e;
    if (!l)
        return;
    if (!s->st && ad_store_open(&s->st, s->url, 0, &e) == AD_OK)
        ad_store_set_actor(s->st, "serve", 0);
    if (!s->st || ad_fed_peer_list(s->st, with_url, l, &e) != AD_OK) {
        say(s, "sync: the peers could not be read (tried again next round): %s", e.msg);
        ad_store_close(s->st); /* opened again next round (a database restarted) */
        s->st = NULL;
        free(l);
        return;
    }
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++)
        s->peers[i].seen = 0;
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < l->n && !stopping(s); i++)
        sync_one(s, l->names[i]);
    /* peers removed (or whose URL went) are forgotten */
    pthread_mutex_lock(&s->mu);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->peers[i].seen)
            s->peers[k++] = s->peers[i];
    s->n = k;
    s->rounds++;
    pthread_mutex_unlock(&s->mu);
    free(l);
}

static void *run(void *arg)
{
    ad_fed_syncer *s = arg;
    while (!stopping(s)) {
        round_once(s);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double until = (double)ts.tv_sec + ts.tv_nsec / 1e9 + s->every;
        ts.tv_sec = (time_t)until;
        ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
        pthread_mutex_lock(&s->mu);
        while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
            ;
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

ad_code ad_fed_syncer_start(const char *db_url, const char *key_path, double every,
                            ad_fed_log_fn log, void *log_ctx, ad_fed_syncer **out, ad_err *err)
{
    *out = NULL;
    if (!(every >= 0.1 && every <= 30 * 86400.0))
        return ad_err_set(err, AD_ERR_ARG, "the sync interval is from 0.1 s to 30 days");
    ad_fed_syncer *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(ad_store_resolve_url(db_url)))) {
        free(s);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    s->every = every;
    s->log = log;
    s->log_ctx = log_ctx;
    ad_code rc = ad_store_open(&s->st, s->url, 0, err);
    if (rc == AD_OK) {
        ad_store_set_actor(s->st, "serve", 0);
        rc = ad_fed_key_load(s->st, key_path, &s->key, err);
    }
    if (rc == AD_OK) {
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->cv, NULL);
        int e = pthread_create(&s->thread, NULL, run, s);
        if (e) {
            pthread_cond_destroy(&s->cv);
            pthread_mutex_destroy(&s->mu);
            rc = ad_err_set(err, AD_ERR_IO, "cannot start the sync thread: %s", strerror(e));
        }
    }
    if (rc != AD_OK) {
        ad_store_close(s->st);
        ad_fed_key_wipe(&s->key);
        free(s->url);
        free(s);
        return rc;
    }
    *out = s;
    return AD_OK;
}

void ad_fed_syncer_stop(ad_fed_syncer *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    ad_store_close(s->st);
    ad_fed_key_wipe(&s->key);
    free(s->url);
    free(s);
}

static json_t *when(double t)
{
    return t > 0 ? json_integer((json_int_t)t) : json_null();
}

json_t *ad_fed_syncer_status(ad_fed_syncer *s)
{
    json_t *peers = json_array();
    if (!s || !peers)
        return peers;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++) {
        const peer_state *p = &s->peers[i];
        json_array_append_new(
            peers,
            json_pack("{s:s, s:o, s:o, s:o, s:s, s:i, s:{s:I, s:I}, s:{s:I, s:I, s:I}}", "peer",
                      p->name, "last_try", when(p->last_try), "last_ok", when(p->last_ok),
                      "next_try", when(p->next), "result", p->last_try > 0 ? p->result : "not yet",
                      "failures", p->failures, "sent", "sets", (json_int_t)p->r.sent.sets,
                      "changes", (json_int_t)p->r.sent.changes, "received", "sets",
                      (json_int_t)p->r.got.sets, "applied", (json_int_t)p->r.got.applied,
                      "skipped", (json_int_t)p->r.got.skipped));
    }
    json_t *o = json_pack("{s:f, s:I, s:o}", "every", s->every, "rounds", (json_int_t)s->rounds,
                          "peers", peers);
    pthread_mutex_unlock(&s->mu);
    return o;
}
