/* metrics.c: the server's metrics in Prometheus's text format (version 0.0.4): requests by route
 * and status, a latency histogram by route, requests in flight, failed authentications by
 * reason, requests refused by the rate limit, uptime. Counters are relaxed atomics: the request
 * path takes no lock. The per-request counters are kept in shards, one a thread (up to
 * NSHARD, then shared), summed when read: two threads adding to the same cache lines made
 * them travel between the cores for every request. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

/* statuses counted one by one; any other is counted under the last slot with its class */
static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405,
                               409, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
#define NSLOT (NSTATUS + 5) /* + 1xx..5xx others */
/* upper bounds of the latency buckets, seconds (the last, +Inf, is implicit) */
static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,     0.25,   0.5,   1,      2.5,   10};
#define NBUCKET (sizeof bounds / sizeof bounds[0] + 1)

typedef struct {
    uint64_t by_status[NSLOT];
    uint64_t buckets[NBUCKET];
    uint64_t us_sum, count;
} route_stats;

#define NSHARD 8

typedef struct {
    int64_t inflight;
    char pad[64 - sizeof(int64_t)];
} inflight_slot;

struct ad_metrics {
    const ad_http_route *routes;
    size_t n;
    route_stats *r; /* NSHARD x (n + 1): the last of a shard's for requests no route matched */
    inflight_slot inflight[NSHARD];
    uint64_t auth[AD_AUTH__COUNT], limited;
};

/* The calling thread's shard. */
static size_t shard(void)
{
    static size_t next;
    static _Thread_local size_t mine;
    if (!mine)
        mine = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED) % NSHARD + 1;
    return mine - 1;
}

static const char *const auth_reasons[AD_AUTH__COUNT] = {"missing", "malformed", "refused",
                                                         "limited"};

ad_metrics *ad_metrics_new(const ad_http_route *routes, size_t n)
{
    ad_metrics *m = calloc(1, sizeof *m);
    if (!m || !(m->r = calloc(NSHARD * (n + 1), sizeof *m->r))) {
        free(m);
        return NULL;
    }
    m->routes = routes;
    m->n = n;
    return m;
}

void ad_metrics_free(ad_metrics *m)
{
    if (m)
        free(m->r);
    free(m);
}

#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define GET(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static size_t slot_of(int status)
{
    for (size_t i = 0; i < NSTATUS; i++)
        if (statuses[i] == status)
            return i;
    int c = status / 100;
    return NSTATUS + (size_t)(c >= 1 && c <= 5 ? c - 1 : 4);
}

void ad_metrics_request(ad_metrics *m, int route, int status, uint64_t us)
{
    route_stats *r =
        &m->r[shard() * (m->n + 1) + (route >= 0 && (size_t)route < m->n ? (size_t)route : m->n)];
    ADD(&r->by_status[slot_of(status)], 1);
    size_t b = 0;
    while (b < NBUCKET - 1 && (double)us > bounds[b] * 1e6)
        b++;
    ADD(&r->buckets[b], 1);
    ADD(&r->us_sum, us);
    ADD(&r->count, 1);
}

void ad_metrics_inflight(ad_metrics *m, int delta)
{
    ADD(&m->inflight[shard()].inflight, delta);
}

void ad_metrics_auth_failure(ad_metrics *m, int reason)
{
    if (reason >= 0 && reason < AD_AUTH__COUNT)
        ADD(&m->auth[reason], 1);
}

void ad_metrics_rate_limited(ad_metrics *m)
{
    ADD(&m->limited, 1);
}

/* The sum over the shards of a route's counter at offset (bytes) in route_stats. */
static uint64_t sum(const ad_metrics *m, size_t route, size_t offset)
{
    uint64_t v = 0;
    for (size_t k = 0; k < NSHARD; k++)
        v += GET((const uint64_t *)((const char *)&m->r[k * (m->n + 1) + route] + offset));
    return v;
}

#define SUM(m, i, member) sum(m, i, offsetof(route_stats, member))

/* The labels of route i: {method="GET",route="/v1/me"} (route="" for no route). */
static void labels(const ad_metrics *m, size_t i, char *buf, size_t cap)
{
    if (i < m->n)
        snprintf(buf, cap, "method=\"%s\",route=\"%s\"", m->routes[i].method, m->routes[i].pattern);
    else
        snprintf(buf, cap, "method=\"\",route=\"\"");
}

void ad_metrics_write(ad_metrics *m, FILE *out, double uptime)
{
    char lab[512];
    int64_t inflight = 0;
    for (size_t k = 0; k < NSHARD; k++)
        inflight += GET(&m->inflight[k].inflight);
    fprintf(out, "# HELP ariadne_http_requests_total HTTP requests answered, by route and "
                 "status.\n# TYPE ariadne_http_requests_total counter\n");
    for (size_t i = 0; i <= m->n; i++) {
        labels(m, i, lab, sizeof lab);
        for (size_t s = 0; s < NSLOT; s++) {
            uint64_t v = SUM(m, i, by_status[s]);
            if (!v)
                continue;
            if (s < NSTATUS)
                fprintf(out, "ariadne_http_requests_total{%s,status=\"%d\"} %llu\n", lab,
                        statuses[s], (unsigned long long)v);
            else
                fprintf(out, "ariadne_http_requests_total{%s,status=\"%zuxx\"} %llu\n", lab,
                        s - NSTATUS + 1, (unsigned long long)v);
        }
    }
    fprintf(out, "# HELP ariadne_http_request_duration_seconds Time from a request's headers to "
                 "its answer, by route.\n"
                 "# TYPE ariadne_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->n; i++) {
        uint64_t count = SUM(m, i, count);
        if (!count)
            continue;
        labels(m, i, lab, sizeof lab);
        uint64_t cum = 0;
        for (size_t b = 0; b < NBUCKET; b++) {
            cum += SUM(m, i, buckets[b]);
            if (b + 1 < NBUCKET)
                fprintf(out, "ariadne_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
                        lab, bounds[b], (unsigned long long)cum);
            else
                fprintf(out, "ariadne_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
                        lab, (unsigned long long)cum);
        }
        fprintf(out, "ariadne_http_request_duration_seconds_sum{%s} %.6f\n", lab,
                (double)SUM(m, i, us_sum) / 1e6);
        fprintf(out, "ariadne_http_request_duration_seconds_count{%s} %llu\n", lab,
                (unsigned long long)count);
    }
    fprintf(out,
            "# HELP ariadne_http_requests_in_flight Requests being answered now.\n"
            "# TYPE ariadne_http_requests_in_flight gauge\n"
            "ariadne_http_requests_in_flight %lld\n",
            (long long)inflight);
    fprintf(out, "# HELP ariadne_http_auth_failures_total Requests refused for their API key, by "
                 "reason (missing, malformed, refused by the store, address over its limit).\n"
                 "# TYPE ariadne_http_auth_failures_total counter\n");
    for (int r = 0; r < AD_AUTH__COUNT; r++)
        fprintf(out, "ariadne_http_auth_failures_total{reason=\"%s\"} %llu\n", auth_reasons[r],
                (unsigned long long)GET(&m->auth[r]));
    fprintf(out,
            "# HELP ariadne_http_rate_limited_total Requests refused by the rate limit of "
            "their API key.\n# TYPE ariadne_http_rate_limited_total counter\n"
            "ariadne_http_rate_limited_total %llu\n",
            (unsigned long long)GET(&m->limited));
    fprintf(out,
            "# HELP ariadne_uptime_seconds Seconds since the server started.\n"
            "# TYPE ariadne_uptime_seconds gauge\nariadne_uptime_seconds %.3f\n",
            uptime);
}
