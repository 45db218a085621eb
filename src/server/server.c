/* server.c: the HTTP daemon (libmicrohttpd's epoll thread pool, TLS through GnuTLS) and the life
 * of a request: route, key, limits and body checked before any handler runs, the handler's
 * answer or a problem (RFC 9457) sent, then the access log and the metrics; and the graceful
 * stop (no new connections, requests in flight finished, logs flushed). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/util.h"
#include "server/server_int.h"
#include "server/session.h"

#define KEY_TEXT_MAX 200

struct ad_http_req {
    ad_server *srv;
    struct MHD_Connection *c;
    int route; /* index in srv->routes, -1 when none matched */
    ad_route_param params[AD_ROUTE_PARAMS];
    int nparams;
    char *param_text; /* the parameters' values, NUL-separated */
    ad_http_caller who;
    int authenticated;
    char client[INET6_ADDRSTRLEN + 8];
    uint8_t addr[16]; /* the client's address, for the failed-authentication buckets */
    size_t addr_len;
    char method[16];
    double t0;
    uint64_t bytes_in, bytes_out;
    int status;
    const char *problem;
    int responded;
    int too_big;         /* the body went over the limit: the rest is read and dropped, then 413 */
    int64_t key_expires; /* of the caller's key (0: never) */
    char *body;
    size_t body_len, body_cap;
    size_t body_expect; /* Content-Length when given (within max_body), else 0 */
    FILE *spool;        /* AD_ROUTE_SPOOL_BODY: the body so far, in a file without a name */
    json_t *json;
};

static uint64_t next_id;

/* ---- answers --------------------------------------------------------------------------------- */

enum { BODY_STATIC, BODY_FREE }; /* static data, or malloc'd and handed over */

/* Queues an answer with its extra headers (name, value pairs, NULL-ended). */
static void respond(ad_http_req *rq, int status, const char *type, const char *body, size_t len,
                    int mode, ...)
{
    struct MHD_Response *r =
        mode == BODY_FREE
            ? MHD_create_response_from_buffer_with_free_callback(len, (void *)body, free)
            : MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    rq->responded = 1;
    rq->status = status;
    if (!r) {
        if (mode == BODY_FREE)
            free((void *)body);
        return;
    }
    rq->bytes_out = len;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    va_list ap;
    va_start(ap, mode);
    for (const char *name; (name = va_arg(ap, const char *));)
        MHD_add_response_header(r, name, va_arg(ap, const char *));
    va_end(ap);
    if (__atomic_load_n(&rq->srv->stopping, __ATOMIC_RELAXED))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_queue_response(rq->c, (unsigned)status, r);
    MHD_destroy_response(r);
}

/* Sends a JSON document (released here). */
static void respond_json(ad_http_req *rq, int status, const char *type, json_t *doc, const char *h1,
                         const char *v1, const char *h2, const char *v2)
{
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s) {
        static const char oom[] = "{\"type\":\"tag:ariadne,2026:problem:internal\","
                                  "\"title\":\"Internal error\",\"status\":500}";
        respond(rq, 500, "application/problem+json", oom, sizeof oom - 1, BODY_STATIC, NULL);
        rq->problem = "internal";
        return;
    }
    respond(rq, status, type, s, strlen(s), BODY_FREE, h1, v1, h2, v2, NULL);
}

/* Sends a problem; one or two extra headers may follow (name, value; NULL). */
static void problem(ad_http_req *rq, int status, const char *field, const char *h1, const char *v1,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void problem(ad_http_req *rq, int status, const char *field, const char *h1, const char *v1,
                    const char *fmt, ...)
{
    char detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    rq->problem = ad_http_problem_name(status);
    respond_json(rq, status, "application/problem+json", ad_http_problem(status, detail, field), h1,
                 v1, NULL, NULL);
}

/* ---- what handlers see -------------------------------------------------------------------- */

const char *ad_http_param(const ad_http_req *rq, const char *name)
{
    const char *v = rq->param_text;
    for (int i = 0; i < rq->nparams; i++) {
        if (strlen(name) == rq->params[i].name_len &&
            !strncmp(name, rq->params[i].name, rq->params[i].name_len))
            return v;
        v += strlen(v) + 1;
    }
    return NULL;
}

const char *ad_http_query(const ad_http_req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->c, MHD_GET_ARGUMENT_KIND, name);
}

const json_t *ad_http_body(const ad_http_req *rq)
{
    return rq->json;
}

const uint8_t *ad_http_raw_body(const ad_http_req *rq, size_t *len)
{
    *len = rq->body ? rq->body_len : 0;
    return (const uint8_t *)rq->body;
}

FILE *ad_http_body_file(ad_http_req *rq)
{
    if (rq->spool && (fflush(rq->spool) != 0 || ferror(rq->spool) || fseek(rq->spool, 0, SEEK_SET)))
        return NULL;
    return rq->spool;
}

const char *ad_http_header(const ad_http_req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, name);
}

const char *ad_http_method(const ad_http_req *rq)
{
    return rq->method;
}

const uint8_t *ad_http_client(const ad_http_req *rq, size_t *len)
{
    *len = rq->addr_len;
    return rq->addr;
}

const ad_http_caller *ad_http_who(const ad_http_req *rq)
{
    return rq->authenticated ? &rq->who : NULL;
}

ad_server *ad_http_server(const ad_http_req *rq)
{
    return rq->srv;
}

ad_code ad_http_store(ad_http_req *rq, ad_store **st, ad_err *err)
{
    ad_code rc = ad_tstore_get(rq->srv, st, err);
    if (rc != AD_OK)
        return rc;
    if (rq->authenticated) {
        ad_store_set_identity(*st, &rq->who);
    } else {
        ad_store_set_actor(*st, "anonymous", 0);
        ad_store_set_origin(*st, NULL);
    }
    return AD_OK;
}

void ad_http_keys_changed(ad_http_req *rq)
{
    ad_keycache_clear(rq->srv->keys);
}

struct ad_fed_syncer *ad_http_syncer(ad_http_req *rq)
{
    return rq->srv->o.syncer;
}

ad_code ad_http_call(ad_http_req *rq, ad_call *c, ad_err *err)
{
    memset(c, 0, sizeof *c);
    if (!rq->authenticated)
        return ad_err_set(err, AD_ERR_PERM, "this route needs an API key");
    ad_code rc = ad_http_store(rq, &c->st, err);
    if (rc != AD_OK)
        return rc;
    c->id = &rq->who;
    c->live = rq->srv->o.live;
    return AD_OK;
}

/* ---- the checks before the handler ---------------------------------------------------------- */

static int on_user(void *ctx, const ad_user *u)
{
    ad_http_req *rq = ctx;
    ad_identity_of_user(&rq->who, u);
    rq->key_expires = u->expires;
    return 0;
}

static const char bearer_challenge[] = "Bearer realm=\"ariadne\"";
static const char bearer_refused[] = "Bearer realm=\"ariadne\", error=\"invalid_token\"";

/* Authenticates the request's key. 0 when it may go on; otherwise the problem is sent. Failed
 * attempts take a token of the client address's bucket; an address without tokens is refused
 * before the store is asked. */
static int authenticate(ad_http_req *rq)
{
    ad_server *srv = rq->srv;
    const char *h = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, "Authorization");
    double now = ad_now(), wait = 0;
    char retry[32];
    if (!h && ad_session_cookie(ad_http_header(rq, "Cookie"), NULL)) {
        /* a person signed in to the web interface (session.c): the same identity as a key */
        char detail[200];
        int status = ad_session_authenticate(rq, &rq->who, detail, sizeof detail);
        if (status) {
            if (status == 401)
                ad_metrics_auth_failure(srv->metrics, AD_AUTH_REFUSED);
            problem(rq, status, NULL, NULL, NULL, "%s", detail);
            return -1;
        }
        rq->authenticated = 1;
        return 0;
    }
    if (!h) {
        ad_metrics_auth_failure(srv->metrics, AD_AUTH_MISSING);
        problem(rq, 401, NULL, "WWW-Authenticate", bearer_challenge,
                "no API key: send it as 'Authorization: Bearer <key>'");
        return -1;
    }
    if (!ad_buckets_peek(srv->auth_fail, rq->addr, rq->addr_len, now, &wait)) {
        ad_metrics_auth_failure(srv->metrics, AD_AUTH_LIMITED);
        snprintf(retry, sizeof retry, "%d", (int)wait + 1);
        problem(rq, 429, NULL, "Retry-After", retry,
                "too many failed authentications from this address: try again in %s s", retry);
        return -1;
    }
    const char *key;
    size_t len;
    if (ad_http_bearer(h, &key, &len) != 0) {
        ad_buckets_take(srv->auth_fail, rq->addr, rq->addr_len, now, NULL);
        ad_metrics_auth_failure(srv->metrics, AD_AUTH_MALFORMED);
        problem(rq, 401, NULL, "WWW-Authenticate", bearer_challenge,
                "the Authorization header is not 'Bearer <API key>'");
        return -1;
    }
    char text[KEY_TEXT_MAX + 1];
    memcpy(text, key, len);
    text[len] = 0;
    ad_store *st;
    ad_err err;
    ad_code rc = AD_OK;
    if (!ad_keycache_get(srv->keys, text, len, now, (int64_t)time(NULL), &rq->who)) {
        rc = ad_tstore_get(srv, &st, &err);
        if (rc == AD_OK)
            rc = ad_store_user_key_check(st, text, on_user, rq, &err);
        if (rc == AD_OK)
            ad_keycache_put(srv->keys, text, len, now, &rq->who, rq->key_expires);
    }
    sodium_memzero(text, sizeof text);
    if (rc == AD_ERR_PERM) {
        ad_buckets_take(srv->auth_fail, rq->addr, rq->addr_len, now, NULL);
        ad_metrics_auth_failure(srv->metrics, AD_AUTH_REFUSED);
        problem(rq, 401, NULL, "WWW-Authenticate", bearer_refused,
                "API key refused (unknown, wrong or revoked)");
        return -1;
    }
    if (rc != AD_OK) {
        problem(rq, ad_http_status_of(rc), NULL, NULL, NULL, "%s", err.msg);
        return -1;
    }
    rq->authenticated = 1;
    if (srv->rate &&
        !ad_buckets_take(srv->rate, rq->who.key_id, strlen(rq->who.key_id), now, &wait)) {
        ad_metrics_rate_limited(srv->metrics);
        snprintf(retry, sizeof retry, "%d", (int)wait + 1);
        problem(rq, 429, NULL, "Retry-After", retry,
                "more than %u requests a second with this API key", srv->o.rate);
        return -1;
    }
    return 0;
}

typedef struct {
    const char *const *allowed;
    const char *bad;
} query_check;

static enum MHD_Result on_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    (void)value;
    query_check *q = cls;
    for (const char *const *a = q->allowed; a && *a; a++)
        if (!strcmp(*a, key))
            return MHD_YES;
    q->bad = key;
    return MHD_NO;
}

/* Whether the Content-Type is JSON (application/json, charset utf-8 if one is named). */
static int is_json_type(const char *t)
{
    static const char aj[] = "application/json";
    if (!t || strncasecmp(t, aj, sizeof aj - 1))
        return 0;
    t += sizeof aj - 1;
    t += strspn(t, " \t");
    if (!*t)
        return 1;
    if (*t != ';')
        return 0;
    t++;
    t += strspn(t, " \t");
    return !strncasecmp(t, "charset=", 8) &&
           (!strcasecmp(t + 8, "utf-8") || !strcasecmp(t + 8, "\"utf-8\""));
}

/* A role that the authorisation table refuses the route's action is refused before its body
 * is read or checked (403 comes before 422, and costs nothing). The library's table decides
 * (ad_authz_check); the service function checks again, with the object's agency. */
static int refused(ad_http_req *rq, const ad_http_route *r)
{
    ad_action act;
    if (!r->action || ad_action_parse(r->action, &act) != AD_OK ||
        ad_authz_allowed(rq->who.role, act))
        return 0;
    ad_err err;
    ad_authz_check(&rq->who, act, 0, &err);
    ad_store *st;
    ad_err ignored;
    if (ad_http_store(rq, &st, &ignored) == AD_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "action=%s role=%s", r->action, ad_role_name(rq->who.role));
        ad_store_audit_read(st, "authz.refused", NULL, detail, &ignored);
    }
    problem(rq, 403, NULL, NULL, NULL, "%s", err.msg);
    return 1;
}

/* Everything decided from the headers: route, caller, limits. Sends the problem when the
 * request stops here. */
static void begin(ad_http_req *rq, const char *url)
{
    ad_server *srv = rq->srv;
    char allow[128];
    rq->route = ad_route_find(srv->routes, srv->n_routes, rq->method, url, rq->params, &rq->nparams,
                              allow, sizeof allow);
    if (rq->route == -1) {
        problem(rq, 404, NULL, NULL, NULL,
                "no such route (the API is described at "
                "/v1/openapi.json)");
        return;
    }
    if (rq->route == -2) {
        rq->route = -1;
        problem(rq, 405, NULL, "Allow", allow, "this route answers %s", allow);
        return;
    }
    const ad_http_route *r = &srv->routes[rq->route];
    /* the parameters' values, copied (none: nothing to allocate) */
    size_t need = 1;
    for (int i = 0; i < rq->nparams; i++)
        need += rq->params[i].value_len + 1;
    if (rq->nparams && !(rq->param_text = malloc(need))) {
        problem(rq, 500, NULL, NULL, NULL, "out of memory");
        return;
    }
    char *p = rq->param_text;
    for (int i = 0; i < rq->nparams; i++) {
        memcpy(p, rq->params[i].value, rq->params[i].value_len);
        p += rq->params[i].value_len;
        *p++ = 0;
    }
    if ((r->flags & AD_ROUTE_LOCAL) && !srv->o.metrics_any) {
        int loop = (rq->addr_len == 4 && rq->addr[0] == 127) ||
                   (rq->addr_len == 16 && !memcmp(rq->addr, in6addr_loopback.s6_addr, 16));
        if (!loop) {
            problem(rq, 403, NULL, NULL, NULL,
                    "this route answers callers on the server's own machine only");
            return;
        }
    }
    if (!(r->flags & AD_ROUTE_PUBLIC) && authenticate(rq))
        return;
    if (!(r->flags & AD_ROUTE_PUBLIC) && refused(rq, r))
        return;
    query_check q = {r->query, NULL};
    MHD_get_connection_values(rq->c, MHD_GET_ARGUMENT_KIND, on_query, &q);
    if (q.bad) {
        problem(rq, 400, q.bad, NULL, NULL, "unknown query parameter '%.100s'", q.bad);
        return;
    }
    const char *cl = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, "Transfer-Encoding");
    unsigned long long length = cl ? strtoull(cl, NULL, 10) : 0;
    if (!r->body) {
        if (length > 0 || te)
            problem(rq, 413, NULL, NULL, NULL, "this route takes no request body");
        return;
    }
    const char *type = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, "Content-Type");
    if (!(r->flags & (AD_ROUTE_RAW_BODY | AD_ROUTE_SPOOL_BODY)) && !is_json_type(type)) {
        problem(rq, 415, NULL, "Accept-Post", "application/json",
                "the request body must be application/json (UTF-8), not %.100s",
                type ? type : "without a Content-Type");
        return;
    }
    if (length > srv->o.max_body)
        problem(rq, 413, NULL, NULL, NULL, "the request body is %llu bytes; at most %zu are taken",
                length, srv->o.max_body);
    else
        rq->body_expect = (size_t)length;
}

/* Takes a piece of the body. */
static void take_body(ad_http_req *rq, const char *data, size_t n)
{
    rq->bytes_in += n;
    if (rq->responded || rq->too_big)
        return;
    size_t max = rq->srv->o.max_body;
    if (rq->body_len + n > max) {
        /* libmicrohttpd answers only before the body or after it: drop the rest, then 413 */
        rq->too_big = 1;
        free(rq->body);
        rq->body = NULL;
        rq->body_len = rq->body_cap = 0;
        if (rq->spool)
            fclose(rq->spool); /* nameless: gone with its last descriptor */
        rq->spool = NULL;
        return;
    }
    if (rq->srv->routes[rq->route].flags & AD_ROUTE_SPOOL_BODY) {
        ad_err err;
        if (!rq->spool && !(rq->spool = ad_tmpfile(&err))) {
            problem(rq, 503, NULL, NULL, NULL, "cannot keep the request body: %s", err.msg);
            return;
        }
        if (fwrite(data, 1, n, rq->spool) != n) {
            fclose(rq->spool);
            rq->spool = NULL;
            problem(rq, 503, NULL, NULL, NULL, "cannot keep the request body: %s",
                    strerror(errno));
            return;
        }
        rq->body_len += n;
        return;
    }
    if (rq->body_len + n > rq->body_cap) {
        /* the announced length at first, up to 64 KiB (a one-hash body is small: a 4 KiB
         * buffer made malloc consolidate its free lists for every request; a length announced
         * but not sent costs no more than that), doubling while more comes */
        size_t first = rq->body_expect ? rq->body_expect : 4096;
        size_t cap = rq->body_cap ? rq->body_cap : first < 65536 ? first : 65536;
        while (cap < rq->body_len + n)
            cap *= 2;
        if (cap > max)
            cap = max;
        char *b = realloc(rq->body, cap);
        if (!b) {
            problem(rq, 503, NULL, NULL, NULL, "out of memory for the request body");
            return;
        }
        rq->body = b;
        rq->body_cap = cap;
    }
    memcpy(rq->body + rq->body_len, data, n);
    rq->body_len += n;
}

/* ---- streamed answers ------------------------------------------------------------------ */

typedef struct stream_job {
    ad_server *srv;
    ad_identity who;
    ad_http_stream_fn fn;
    void *ctx;
    void (*free_ctx)(void *);
    int fd; /* the pipe's write end */
} stream_job;

static void *stream_thread(void *p)
{
    stream_job *j = p;
    /* a client that leaves closes the pipe: the write fails with EPIPE, never kills the process */
    sigset_t pipe_sig;
    sigemptyset(&pipe_sig);
    sigaddset(&pipe_sig, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_sig, NULL);
    ad_err err;
    ad_store *st = NULL;
    FILE *out = fdopen(j->fd, "w");
    ad_code rc = out ? ad_store_open(&st, j->srv->db_url, 0, &err)
                     : ad_err_set(&err, AD_ERR_IO, "fdopen: %s", strerror(errno));
    if (rc == AD_OK) {
        ad_store_set_identity(st, &j->who);
        ad_call c = {st, j->srv->o.live, &j->who, NULL};
        rc = j->fn(j->ctx, &c, out, &err);
    }
    if (rc != AD_OK)
        fprintf(stderr, "ariadne serve: a streamed answer for %s was cut short: %s\n", j->who.user,
                err.msg);
    if (out)
        fclose(out);
    else
        close(j->fd);
    ad_store_close(st);
    if (j->free_ctx)
        j->free_ctx(j->ctx);
    free(j);
    return NULL;
}

/* Sends rp's stream: a pipe the stream's thread writes and libmicrohttpd reads. */
static void respond_stream(ad_http_req *rq, int status, const char *type, ad_http_reply *rp)
{
    int fds[2] = {-1, -1};
    stream_job *j = calloc(1, sizeof *j);
    pthread_t th;
    pthread_attr_t attr;
    if (!j || pipe2(fds, O_CLOEXEC) != 0) {
        free(j);
        if (rp->stream_free)
            rp->stream_free(rp->stream_ctx);
        problem(rq, 503, NULL, NULL, NULL, "cannot stream the answer now: %s", strerror(errno));
        return;
    }
    *j = (stream_job){rq->srv, rq->who, rp->stream, rp->stream_ctx, rp->stream_free, fds[1]};
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, stream_thread, j) != 0) {
        pthread_attr_destroy(&attr);
        close(fds[0]);
        close(fds[1]);
        if (rp->stream_free)
            rp->stream_free(rp->stream_ctx);
        free(j);
        problem(rq, 503, NULL, NULL, NULL, "cannot start the stream's thread");
        return;
    }
    pthread_attr_destroy(&attr);
    struct MHD_Response *r = MHD_create_response_from_pipe(fds[0]);
    rq->responded = 1;
    rq->status = status;
    if (!r) {
        close(fds[0]); /* the writer fails on EPIPE and ends */
        return;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_queue_response(rq->c, (unsigned)status, r);
    MHD_destroy_response(r);
}

/* Sends a file from its start (closed here; libmicrohttpd reads a duplicate of its descriptor
 * and closes that when the answer is sent or abandoned). */
static void respond_file(ad_http_req *rq, int status, const char *type, FILE *f)
{
    struct stat sb;
    int fd = -1;
    if (fflush(f) == 0 && !ferror(f) && fstat(fileno(f), &sb) == 0)
        fd = dup(fileno(f));
    fclose(f);
    if (fd < 0) {
        problem(rq, 503, NULL, NULL, NULL, "cannot send the answer: %s", strerror(errno));
        return;
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    rq->responded = 1;
    rq->status = status;
    if (!r) {
        close(fd);
        return;
    }
    rq->bytes_out = (uint64_t)sb.st_size;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (__atomic_load_n(&rq->srv->stopping, __ATOMIC_RELAXED))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_queue_response(rq->c, (unsigned)status, r);
    MHD_destroy_response(r);
}

ad_code ad_http_check_body(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    if (rq->json)
        return AD_OK;
    ad_code rc = ad_json_parse_body(rq->body, rq->body_len, &rq->json, err);
    if (rc != AD_OK) {
        rp->status = 400;
        return rc;
    }
    rc = ad_jcheck(rq->json, rq->srv->routes[rq->route].schema, rp->field, sizeof rp->field, err);
    if (rc != AD_OK)
        rp->status = 422;
    return rc;
}

/* The body checked, the handler called, its answer sent. */
static void finish(ad_http_req *rq)
{
    const ad_http_route *r = &rq->srv->routes[rq->route];
    ad_err err;
    ad_err_clear(&err);
    ad_http_reply rp;
    memset(&rp, 0, sizeof rp);
    if (r->body && !(r->flags & (AD_ROUTE_RAW_BODY | AD_ROUTE_LAZY_BODY | AD_ROUTE_SPOOL_BODY)) &&
        ad_http_check_body(rq, &rp, &err) != AD_OK) {
        problem(rq, rp.status, rp.field[0] ? rp.field : NULL, NULL, NULL, "%s", err.msg);
        return;
    }
    ad_code rc = r->fn(rq, &rp, &err);
    if (rc != AD_OK) {
        json_decref(rp.json);
        if (rp.file)
            fclose(rp.file);
        if (rp.owned)
            free((void *)rp.text);
        int status = rp.status >= 400 ? rp.status : ad_http_status_of(rc);
        const char *field = rp.field[0] ? rp.field : err.field[0] ? err.field : NULL;
        problem(rq, status, field, NULL, NULL, "%s", err.msg[0] ? err.msg : ad_strerror(rc));
        return;
    }
    int status = rp.status ? rp.status : 200;
    if (rp.file) {
        respond_file(rq, status, rp.type ? rp.type : "application/octet-stream", rp.file);
        return;
    }
    if (rp.stream) {
        respond_stream(rq, status, rp.type ? rp.type : "application/octet-stream", &rp);
        return;
    }
    if (rp.json)
        respond_json(rq, status, rp.type ? rp.type : "application/json", rp.json,
                     rp.cookie[0] ? "Set-Cookie" : NULL, rp.cookie, NULL, NULL);
    else
        respond(rq, status, rp.type ? rp.type : "text/plain; charset=utf-8", rp.text ? rp.text : "",
                rp.text ? rp.len : 0, rp.owned && rp.text ? BODY_FREE : BODY_STATIC,
                rp.csp ? "Content-Security-Policy" : NULL, rp.csp, "Referrer-Policy",
                "no-referrer", NULL);
}

/* ---- libmicrohttpd's callbacks ------------------------------------------------------------- */

static void client_of(ad_http_req *rq)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    strcpy(rq->client, "?");
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)sa;
        memcpy(rq->addr, &a->sin_addr, 4);
        rq->addr_len = 4;
        /* dotted quad by hand: inet_ntop's sprintf was 3% of a request */
        char *o = rq->client;
        for (int i = 0; i < 4; i++) {
            unsigned v = rq->addr[i];
            if (v >= 100)
                *o++ = (char)('0' + v / 100);
            if (v >= 10)
                *o++ = (char)('0' + v / 10 % 10);
            *o++ = (char)('0' + v % 10);
            *o++ = i < 3 ? '.' : 0;
        }
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)sa;
        memcpy(rq->addr, &a->sin6_addr, 16);
        rq->addr_len = 16;
        inet_ntop(AF_INET6, &a->sin6_addr, rq->client, sizeof rq->client);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    ad_server *srv = cls;
    ad_http_req *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        *con_cls = rq;
        rq->srv = srv;
        rq->c = c;
        rq->route = -1;
        rq->t0 = ad_now();
        size_t ml = strnlen(method, sizeof rq->method - 1);
        memcpy(rq->method, method, ml);
        rq->method[ml] = 0;
        client_of(rq);
        __atomic_fetch_add(&srv->inflight, 1, __ATOMIC_SEQ_CST);
        ad_metrics_inflight(srv->metrics, 1);
        begin(rq, url);
        return MHD_YES;
    }
    if (*upload_size) {
        take_body(rq, upload, *upload_size);
        *upload_size = 0;
        /* a body far over the limit is not read to its end: the connection is closed */
        if (rq->too_big && rq->bytes_in > 4 * (uint64_t)srv->o.max_body + (1u << 20))
            return MHD_NO;
        return MHD_YES;
    }
    if (rq->responded)
        return MHD_YES;
    if (rq->too_big)
        problem(rq, 413, NULL, NULL, NULL, "the request body is over %zu bytes", srv->o.max_body);
    else
        finish(rq);
    return MHD_YES;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)c;
    ad_server *srv = cls;
    ad_http_req *rq = *con_cls;
    if (!rq)
        return;
    *con_cls = NULL;
    uint64_t us = (uint64_t)((ad_now() - rq->t0) * 1e6);
    int status = rq->responded ? rq->status : 0; /* 0: the client left before an answer */
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && status < 400)
        rq->problem = "aborted"; /* the answer was not sent whole */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    const ad_http_route *r = rq->route >= 0 ? &srv->routes[rq->route] : NULL;
    ad_alog_entry e = {(double)tv.tv_sec + tv.tv_usec / 1e6,
                       rq->client,
                       rq->who.key_id[0] ? rq->who.key_id : NULL,
                       rq->authenticated ? rq->who.user : NULL,
                       rq->method,
                       r ? r->pattern : NULL,
                       status,
                       rq->bytes_in,
                       rq->bytes_out,
                       us,
                       rq->problem};
    ad_alog_write(srv->alog, &e);
    ad_metrics_request(srv->metrics, rq->route, status, us);
    ad_metrics_inflight(srv->metrics, -1);
    json_decref(rq->json);
    free(rq->body);
    if (rq->spool)
        fclose(rq->spool);
    free(rq->param_text);
    free(rq);
    __atomic_fetch_sub(&srv->inflight, 1, __ATOMIC_SEQ_CST);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    ad_server *srv = cls;
    char msg[sizeof srv->mhd_error];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = 0;
    /* only read when the start fails (then no other thread writes) */
    memcpy(srv->mhd_error, msg, sizeof msg);
}

/* ---- start and stop ------------------------------------------------------------------------ */

ad_http_route *ad_http_all_routes(size_t *n)
{
    size_t ng[8];
    const ad_http_route *group[8] = {ad_http_core_routes(&ng[0]),   ad_http_routes_platform(&ng[1]),
                                     ad_http_routes_knowledge(&ng[2]), ad_http_routes_admin(&ng[3]),
                                     ad_http_routes_transfer(&ng[4]), ad_http_routes_session(&ng[5]),
                                     ad_http_routes_static(&ng[6]), ad_http_routes_fed(&ng[7])};
    size_t total = 1;
    for (int g = 0; g < 8; g++)
        total += ng[g];
    ad_http_route *all = calloc(total, sizeof *all);
    *n = 0;
    if (!all)
        return NULL;
    for (int g = 0; g < 8; g++)
        for (size_t i = 0; i < ng[g]; i++)
            all[(*n)++] = group[g][i];
    return all;
}

/* The server's own routes, then the caller's (one with the same method and pattern replaces
 * the server's). */
static ad_code build_routes(ad_server *srv, ad_err *err)
{
    size_t nc;
    ad_http_route *core = ad_http_all_routes(&nc);
    if (!core)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    srv->routes = calloc(nc + srv->o.n_routes, sizeof *srv->routes);
    if (!srv->routes) {
        free(core);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nc; i++) {
        int replaced = 0;
        for (size_t k = 0; k < srv->o.n_routes; k++)
            replaced |= !strcmp(core[i].method, srv->o.routes[k].method) &&
                        !strcmp(core[i].pattern, srv->o.routes[k].pattern);
        if (!replaced)
            srv->routes[srv->n_routes++] = core[i];
    }
    free(core);
    for (size_t k = 0; k < srv->o.n_routes; k++) {
        const ad_http_route *r = &srv->o.routes[k];
        if (!r->method || !r->pattern || !r->fn || (r->body && !r->schema))
            return ad_err_set(err, AD_ERR_ARG, "route %zu is incomplete", k);
        srv->routes[srv->n_routes++] = *r;
    }
    return AD_OK;
}

/* Reads a whole small file (a PEM) into *out (NUL-terminated). */
static ad_code read_pem(const char *path, char **out, size_t *len, ad_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ad_err_set(err, AD_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    char *b = malloc(1 << 20);
    size_t n = b ? fread(b, 1, (1 << 20) - 1, f) : 0;
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return ad_err_set(err, AD_ERR_IO, "cannot read %s: %s", path,
                          b ? "larger than 1 MiB or unreadable" : "out of memory");
    }
    b[n] = 0;
    *out = b;
    *len = n;
    return AD_OK;
}

/* Reads the certificate and key and checks them with GnuTLS (so that a bad pair is said as
 * such, not as a daemon that does not start). */
static ad_code load_tls(ad_server *srv, ad_err *err)
{
    size_t clen;
    ad_code rc = read_pem(srv->o.tls_cert, &srv->tls_cert, &clen, err);
    if (rc == AD_OK)
        rc = read_pem(srv->o.tls_key, &srv->tls_key, &srv->tls_key_len, err);
    if (rc != AD_OK)
        return rc;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "this libmicrohttpd has no TLS (GnuTLS)");
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return ad_err_set(err, AD_ERR_NOMEM, "GnuTLS: out of memory");
    gnutls_datum_t c = {(unsigned char *)srv->tls_cert, (unsigned)clen};
    gnutls_datum_t k = {(unsigned char *)srv->tls_key, (unsigned)srv->tls_key_len};
    int g = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    if (g < 0)
        return ad_err_set(err, AD_ERR_ARG, "TLS certificate %s with key %s: %s", srv->o.tls_cert,
                          srv->o.tls_key, gnutls_strerror(g));
    return AD_OK;
}

/* Binds and listens on "HOST:PORT" ("[v6]:PORT", ":PORT" for every address); the address as
 * bound (with the real port) into srv->address. */
static ad_code bind_listen(ad_server *srv, int *v6, ad_err *err)
{
    const char *l = srv->o.listen;
    char host[256];
    const char *port;
    if (!l || !*l)
        return ad_err_set(err, AD_ERR_ARG, "no address to listen on (ADDR:PORT)");
    if (l[0] == '[') {
        const char *close = strchr(l, ']');
        if (!close || close[1] != ':' || (size_t)(close - l - 1) >= sizeof host)
            return ad_err_set(err, AD_ERR_ARG, "bad listen address '%s' ([V6]:PORT)", l);
        snprintf(host, sizeof host, "%.*s", (int)(close - l - 1), l + 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(l, ':');
        if (!colon || (size_t)(colon - l) >= sizeof host || memchr(l, ':', (size_t)(colon - l)))
            return ad_err_set(err, AD_ERR_ARG, "bad listen address '%s' (ADDR:PORT)", l);
        snprintf(host, sizeof host, "%.*s", (int)(colon - l), l);
        port = colon + 1;
    }
    char *end;
    long pn = strtol(port, &end, 10);
    if (!*port || *end || pn < 0 || pn > 65535)
        return ad_err_set(err, AD_ERR_ARG, "bad port in listen address '%s' (0 to 65535)", l);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
    if (g)
        return ad_err_set(err, AD_ERR_ARG, "listen address '%s': %s", l, gai_strerror(g));
    /* the first socket takes the port (a free one for 0); the others bind that very port */
    struct sockaddr_storage ss;
    socklen_t sl = (socklen_t)ai->ai_addrlen;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    ad_code rc = AD_OK;
    for (unsigned i = 0; i < srv->nd && rc == AD_OK; i++) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int one = 1;
        if (fd < 0) {
            rc = ad_err_set(err, AD_ERR_IO, "socket: %s", strerror(errno));
            break;
        }
        srv->fd[i] = fd;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (srv->nd > 1)
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 511) != 0)
            rc = ad_err_set(err, AD_ERR_IO, "cannot listen on %s: %s", l, strerror(errno));
        else if (i == 0)
            getsockname(fd, (struct sockaddr *)&ss, &sl);
    }
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    if (rc != AD_OK) {
        for (unsigned i = 0; i < srv->nd; i++)
            if (srv->fd[i] >= 0) {
                close(srv->fd[i]);
                srv->fd[i] = -1;
            }
        return rc;
    }
    char a[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (void *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
        snprintf(srv->address, sizeof srv->address, "[%s]:%u", a, ntohs(s6->sin6_port));
    } else {
        struct sockaddr_in *s4 = (void *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
        snprintf(srv->address, sizeof srv->address, "%s:%u", a, ntohs(s4->sin_port));
    }
    return AD_OK;
}

static void server_free(ad_server *srv)
{
    if (!srv)
        return;
    ad_tstore_close_all(srv);
    ad_readlog_stop(srv->readlog); /* the last reads' audit rows, before the log closes */
    ad_alog_close(srv->alog);
    ad_metrics_free(srv->metrics);
    ad_buckets_free(srv->auth_fail);
    ad_buckets_free(srv->rate);
    ad_keycache_free(srv->keys);
    if (srv->tls_key)
        sodium_memzero(srv->tls_key, srv->tls_key_len);
    free(srv->tls_key);
    free(srv->tls_cert);
    free(srv->routes);
    free(srv->db_url);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}

ad_code ad_server_start(ad_server **out, const ad_server_opts *opts, ad_err *err)
{
    *out = NULL;
    if (!opts->tls_cert != !opts->tls_key)
        return ad_err_set(err, AD_ERR_ARG, "TLS needs both a certificate and a key");
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    ad_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&srv->mu, NULL);
    srv->o = *opts;
    for (unsigned i = 0; i < AD_SERVER_MAX_THREADS; i++)
        srv->fd[i] = -1;
    srv->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_SEQ_CST);
    ad_server_opts *o = &srv->o;
    if (!o->threads)
        o->threads = (unsigned)ad_cpu_count();
    if (o->threads > AD_SERVER_MAX_THREADS)
        o->threads = AD_SERVER_MAX_THREADS;
    srv->nd = o->threads;
    if (!o->max_body)
        o->max_body = AD_SERVER_MAX_BODY;
    if (!o->max_connections)
        o->max_connections = AD_SERVER_MAX_CONNECTIONS;
    if (!o->timeout)
        o->timeout = AD_SERVER_TIMEOUT;
    if (!o->auth_burst)
        o->auth_burst = AD_SERVER_AUTH_BURST;
    if (o->auth_refill <= 0)
        o->auth_refill = AD_SERVER_AUTH_REFILL;
    ad_code rc = AD_OK;
    const char *url = ad_store_resolve_url(o->db_url);
    if (!(srv->db_url = strdup(url)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    o->db_url = srv->db_url;
    o->listen = NULL; /* the caller's strings are not kept (but the routes) */
    o->access_log = NULL;
    if (rc == AD_OK)
        rc = build_routes(srv, err);
    if (rc == AD_OK && !(srv->metrics = ad_metrics_new(srv->routes, srv->n_routes)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc == AD_OK && !(srv->auth_fail = ad_buckets_new(4096, o->auth_burst, o->auth_refill)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc == AD_OK && o->rate && !(srv->rate = ad_buckets_new(4096, o->rate, o->rate)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!o->key_ttl)
        o->key_ttl = AD_SERVER_KEY_TTL;
    if (rc == AD_OK && o->key_ttl > 0 && !(srv->keys = ad_keycache_new(4096, o->key_ttl)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    /* the store once now: a bad URL or a store that does not open fails the start, and pending
     * migrations are applied before any thread opens its own connection */
    ad_store *st = NULL;
    if (rc == AD_OK)
        rc = ad_store_open(&st, srv->db_url, 0, err);
    ad_store_close(st);
    if (rc == AD_OK && opts->tls_cert) {
        o->tls_cert = opts->tls_cert;
        o->tls_key = opts->tls_key;
        rc = load_tls(srv, err);
    }
    o->tls_cert = o->tls_key = NULL;
    if (rc == AD_OK && opts->access_log)
        rc = ad_alog_open(&srv->alog, opts->access_log, err);
    if (rc == AD_OK && !o->audit_reads_inline)
        rc = ad_readlog_start(&srv->readlog, srv->db_url, srv->alog, 1.0, err);
    /* the readlog's flusher writes the log out every second, before its rows */
    if (rc == AD_OK && srv->readlog)
        rc = ad_alog_buffer(srv->alog, 64 * 1024, err);
    int v6 = 0;
    if (rc == AD_OK) {
        o->listen = opts->listen;
        rc = bind_listen(srv, &v6, err);
        o->listen = NULL;
    }
    if (rc != AD_OK) {
        for (unsigned i = 0; i < srv->nd; i++)
            if (srv->fd[i] >= 0)
                close(srv->fd[i]);
        server_free(srv);
        return rc;
    }
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert},
        {MHD_OPTION_HTTPS_PRIORITIES, 0,
         (void *)"NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS-ALL"},
        {MHD_OPTION_END, 0, NULL},
    };
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (srv->tls_cert)
        flags |= MHD_USE_TLS;
    if (v6)
        flags |= MHD_USE_IPv6;
    srv->started = ad_now();
    unsigned per = o->max_connections / srv->nd ? o->max_connections / srv->nd : 1;
    for (unsigned i = 0; i < srv->nd; i++) {
        srv->d[i] = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
            MHD_OPTION_LISTEN_SOCKET, srv->fd[i], MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
            MHD_OPTION_CONNECTION_LIMIT, per, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
            MHD_OPTION_NOTIFY_COMPLETED, on_done, srv, MHD_OPTION_ARRAY,
            srv->tls_cert ? tls : tls + 3, MHD_OPTION_END);
        if (!srv->d[i]) {
            rc = ad_err_set(err, AD_ERR_IO, "the HTTP server did not start%s%s",
                            srv->mhd_error[0] ? ": " : "", srv->mhd_error);
            for (unsigned k = 0; k < i; k++)
                MHD_stop_daemon(srv->d[k]);
            for (unsigned k = 0; k < srv->nd; k++)
                close(srv->fd[k]);
            server_free(srv);
            return rc;
        }
    }
    *out = srv;
    return AD_OK;
}

const char *ad_server_address(const ad_server *srv)
{
    return srv->address;
}

void ad_server_stop(ad_server *srv, double grace)
{
    if (!srv)
        return;
    __atomic_store_n(&srv->stopping, 1, __ATOMIC_SEQ_CST);
    /* the listening socket is ours again: closed at once, so that a new connection is refused
     * (not left in the kernel's backlog) while the requests in flight finish */
    for (unsigned i = 0; i < srv->nd; i++) {
        MHD_socket fd = MHD_quiesce_daemon(srv->d[i]);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
    double end = ad_now() + grace;
    while (__atomic_load_n(&srv->inflight, __ATOMIC_SEQ_CST) > 0 && ad_now() < end) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (unsigned i = 0; i < srv->nd; i++)
        MHD_stop_daemon(srv->d[i]);
    server_free(srv);
}
