/* http.h: the inside of the HTTP layer (src/server/): routes and their table, requests as
 * handlers see them, the strict checker of JSON bodies, problems (RFC 9457), token buckets, the
 * access log and the metrics. A route parses its request, calls one library function and
 * serialises the answer; who may do what is decided below it (docs/server.md). */
#ifndef AD_SERVER_HTTP_H
#define AD_SERVER_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/server.h"
#include "ariadne/service.h"
#include "ariadne/store.h"

/* ---- strict JSON checking (jcheck.c) ----------------------------------------------------- */

typedef enum ad_jkind {
    AD_J_OBJECT,
    AD_J_ARRAY,
    AD_J_STRING,
    AD_J_HEX, /* a string of hex digits, min..max digits, an even number of them */
    AD_J_INT,
    AD_J_NUMBER,
    AD_J_BOOL,
} ad_jkind;

typedef struct ad_jmember ad_jmember;
/* What a JSON value must be. Strings: min..max bytes (max 0: AD_J_STRING_MAX) of valid UTF-8
 * without NUL, one of `choices` when given; integers and numbers: min..max; arrays: min..max
 * items (max 0: no bound but the body's size), each an `items`; objects: the `members` (ended by
 * a member without a name), no others. */
typedef struct ad_jschema {
    ad_jkind kind;
    long long min, max;
    const ad_jmember *members;
    const struct ad_jschema *items;
    const char *const *choices;
} ad_jschema;
struct ad_jmember {
    const char *name;
    const ad_jschema *schema;
    int required;
};
#define AD_J_STRING_MAX 4096
#define AD_J_DEPTH_MAX 32 /* nesting a body may have (schemas are far shallower) */

/* Parses a request body as one JSON document (UTF-8, duplicate members refused, nothing after
 * it, nesting bounded). AD_ERR_PARSE with "malformed JSON at byte N: ..." otherwise. */
ad_code ad_json_parse_body(const char *buf, size_t len, json_t **out, ad_err *err);
/* Checks v against s: AD_OK, or AD_ERR_ARG with a message and, in field (cap bytes), the JSON
 * Pointer of the value at fault ("/hashes/3/radius"; "" for the whole body). */
ad_code ad_jcheck(const json_t *v, const ad_jschema *s, char *field, size_t cap, ad_err *err);

/* ---- problems (problem.c) ------------------------------------------------------------------ */

/* The HTTP status of a library error (docs/server.md: ARG 422, PARSE 400, PERM 403, ...). */
int ad_http_status_of(ad_code code);
/* The problem type's short name of a status ("bad-request", "unauthorized", ...). */
const char *ad_http_problem_name(int status);
/* An application/problem+json document: type, title, status, detail, and field when given. */
json_t *ad_http_problem(int status, const char *detail, const char *field);

/* ---- routes (route.c) ---------------------------------------------------------------------- */

typedef struct ad_http_req ad_http_req;

/* Who the request's key is (set when the route is not public): the service layer's identity. */
typedef ad_identity ad_http_caller;

/* What a handler answers: a JSON document (json, owned by the reply) or raw text (text, len,
 * type: static data, or malloc'd and handed over when owned), with status (200 when left 0). A
 * handler that fails returns the library's code with err; field may name the member or
 * parameter at fault and status may force the HTTP status of the problem. */
/* A streamed answer body: written by fn on a thread of its own, with its own store connection
 * (the caller's identity set on it), to out, while the server sends what it writes; the
 * status and headers are gone by then, so fn's failure cuts the body short (the client sees
 * a body without its end). ctx is freed with free_ctx after. */
typedef ad_code (*ad_http_stream_fn)(void *ctx, const ad_call *c, FILE *out, ad_err *err);

typedef struct ad_http_reply {
    int status;
    ad_http_stream_fn stream; /* set: the body is streamed (type says its type) */
    void *stream_ctx;
    void (*stream_free)(void *ctx);
    json_t *json;
    const char *text;
    size_t len;
    int owned;
    const char *type;
    char field[128];
    char cookie[256]; /* a Set-Cookie header's value when not empty (session.c) */
    const char *csp;  /* a text answer's Content-Security-Policy (static.c), NULL: none */
    FILE *file; /* set: the body is this file, from its start to its end (type says its type);
                 * the server closes it (a nameless ad_tmpfile is then gone) */
} ad_http_reply;

typedef ad_code (*ad_http_fn)(ad_http_req *rq, ad_http_reply *rp, ad_err *err);

enum {
    AD_ROUTE_PUBLIC = 1 << 0, /* no key asked */
    AD_ROUTE_LOCAL = 1 << 1,  /* loopback callers only, unless the server says any (metrics) */
    /* The body is bytes (an upload: application/octet-stream), taken up to the server's
     * max_body and handed to the handler as they are (ad_http_raw_body): no JSON checks. The
     * route's body names its schema in the OpenAPI file all the same. */
    AD_ROUTE_RAW_BODY = 1 << 2,
    /* The body (JSON: its Content-Type checked) is parsed and checked against the route's schema
     * only when the handler asks (ad_http_check_body), after it has tried a quick reader of its
     * own on the raw bytes (ad_http_raw_body) that declines anything unusual. */
    AD_ROUTE_LAZY_BODY = 1 << 3,
    /* The body is bytes, as AD_ROUTE_RAW_BODY, but written as it comes to a private temporary
     * file without a name (ad_tmpfile), never held in memory: the handler reads it from
     * ad_http_body_file. max_body still bounds it (413); the file goes with the request. */
    AD_ROUTE_SPOOL_BODY = 1 << 4,
};

/* One route of the table: the service routes plug in as entries of this kind. */
typedef struct ad_http_route {
    const char *method;  /* "GET", "POST", ... (a GET route answers HEAD too) */
    const char *pattern; /* "/v1/media/{hash}": literal segments and {name} parameters */
    ad_http_fn fn;
    const char *action;  /* the action of the authorisation matrix ("me.read"); NULL if public */
    const char *body;    /* the request body's schema name (components/schemas of the OpenAPI
                          * file), NULL when the route takes no body */
    const ad_jschema *schema; /* the body's checker (with body) */
    const char *const *query; /* the query parameters the route takes (NULL-terminated), NULL:
                               * none */
    unsigned flags;
} ad_http_route;

#define AD_ROUTE_PARAMS 8
typedef struct ad_route_param {
    const char *name, *value; /* slices of the pattern and of the path */
    size_t name_len, value_len;
} ad_route_param;

/* Whether path matches pattern; its parameters into p (*n of them, at most AD_ROUTE_PARAMS).
 * A parameter matches one non-empty segment. */
int ad_route_match(const char *pattern, const char *path, ad_route_param *p, int *n);
/* The route of (method, path) in table: its index; -1 when no pattern matches the path (404);
 * -2 when some do but not for this method (405), their methods in allow ("GET, HEAD, POST"). */
int ad_route_find(const ad_http_route *table, size_t n, const char *method, const char *path,
                  ad_route_param *p, int *np, char *allow, size_t cap);

/* The server's own routes: /healthz, /metrics, /v1/openapi.json, /v1/me. */
const ad_http_route *ad_http_core_routes(size_t *n);
/* The service layer's routes, by group (one file each): platforms (routes_platform.c: match,
 * hash, feedback, list review), investigators and analysts (routes_knowledge.c: media, series,
 * people, votes, notes, cases, uploads, transfer), admins and auditors (routes_admin.c: users,
 * keys, lists, grants, the audit). Each returns its table and its size (0 and NULL: none yet). */
const ad_http_route *ad_http_routes_platform(size_t *n);
const ad_http_route *ad_http_routes_knowledge(size_t *n);
const ad_http_route *ad_http_routes_admin(size_t *n);
/* Exports (routes_transfer.c): GET /v1/export, streamed. */
const ad_http_route *ad_http_routes_transfer(size_t *n);
/* People's sessions and preferences (routes_session.c) and the web interface's files
 * (static.c): docs/web.md. */
const ad_http_route *ad_http_routes_session(size_t *n);
const ad_http_route *ad_http_routes_static(size_t *n);
/* Federation (routes_fed.c): GET and POST /v1/fed/changes, for peers (no API key). */
const ad_http_route *ad_http_routes_fed(size_t *n);
/* Every route the server answers (its own, then the groups'), in a table to free; NULL when
 * out of memory. The OpenAPI and authorisation-matrix tests walk it. */
ad_http_route *ad_http_all_routes(size_t *n);

/* What handlers know of their request. */
const char *ad_http_param(const ad_http_req *rq, const char *name); /* a {name} of the path */
const char *ad_http_query(const ad_http_req *rq, const char *name); /* NULL when absent */
const json_t *ad_http_body(const ad_http_req *rq); /* checked against the route's schema */
/* The bytes of a raw body (AD_ROUTE_RAW_BODY and AD_ROUTE_LAZY_BODY routes), NULL and 0 when
 * there is none. */
const uint8_t *ad_http_raw_body(const ad_http_req *rq, size_t *len);
/* The body of an AD_ROUTE_SPOOL_BODY route, at its start (NULL when there is none, or it
 * cannot be read); the server closes it after the answer. */
FILE *ad_http_body_file(ad_http_req *rq);
/* Parses the body and checks it against the route's schema, as the server does before the
 * handler of any other route with a body: AD_OK (then ad_http_body has it), or the problem's
 * status in rp->status (400 malformed, 422 against the schema, with rp->field). */
ad_code ad_http_check_body(ad_http_req *rq, ad_http_reply *rp, ad_err *err);
const ad_http_caller *ad_http_who(const ad_http_req *rq);
/* A request header's value (NULL when absent), and the client's address (4 or 16 bytes). */
const char *ad_http_header(const ad_http_req *rq, const char *name);
const uint8_t *ad_http_client(const ad_http_req *rq, size_t *len);
const char *ad_http_method(const ad_http_req *rq);
ad_server *ad_http_server(const ad_http_req *rq);
/* The store connection of the calling thread (opened on first use; kept until the server stops),
 * with the caller set as the actor of its audit rows. */
ad_code ad_http_store(ad_http_req *rq, ad_store **st, ad_err *err);
/* The server's scheduled sync (ad_server_opts.syncer), or NULL. */
struct ad_fed_syncer *ad_http_syncer(ad_http_req *rq);
/* A route changed keys (revoked one, moved an expiry): this server asks the store again for
 * every key (other servers within their key_ttl). */
void ad_http_keys_changed(ad_http_req *rq);
/* The service call of the request (service.h): the thread's store (as ad_http_store), the
 * caller's identity, the server's live index. c is valid until the handler returns. */
ad_code ad_http_call(ad_http_req *rq, ad_call *c, ad_err *err);

/* ---- the server's own parts ---------------------------------------------------------------- */

/* The key of an Authorization header: "Bearer <key>" (scheme in any case, one or more spaces),
 * the key 1..200 printable ASCII characters. 0 and the key's slice, or -1. */
int ad_http_bearer(const char *header, const char **key, size_t *len);

/* Keys checked recently (keycache.c): trusted for ttl seconds (0: never cached), bounded to cap
 * entries. get: 1 and the identity when key was checked less than ttl ago and has not expired
 * (wall: Unix seconds); put: after the store accepted it. Thread-safe. */
typedef struct ad_keycache ad_keycache;
ad_keycache *ad_keycache_new(size_t cap, double ttl);
void ad_keycache_free(ad_keycache *k);
int ad_keycache_get(ad_keycache *k, const char *key, size_t len, double now, int64_t wall,
                    ad_identity *out);
void ad_keycache_put(ad_keycache *k, const char *key, size_t len, double now,
                     const ad_identity *who, int64_t expires);
/* Forgets every key (a key was revoked or its expiry changed). */
void ad_keycache_clear(ad_keycache *k);

/* Token buckets by key (an address, a key id): a bounded table; the least recently seen entry
 * makes room for a new one. Thread-safe. */
typedef struct ad_buckets ad_buckets;
ad_buckets *ad_buckets_new(size_t cap, double burst, double per_second);
void ad_buckets_free(ad_buckets *b);
/* take: takes one token (1), or says none is left (0) with the seconds until one is in *wait.
 * peek: the same without taking. now: ad_now(). */
int ad_buckets_take(ad_buckets *b, const void *key, size_t len, double now, double *wait);
int ad_buckets_peek(ad_buckets *b, const void *key, size_t len, double now, double *wait);

/* The access log: one JSON object per line, to a file opened for appending (created 0600), each
 * line written whole, so that lines of several threads never mix: with one write(2) each, or
 * buffered (ad_alog_buffer) and written out when the buffer is full, at ad_alog_flush and at
 * the close. Thread-safe. */
typedef struct ad_alog ad_alog;
typedef struct ad_alog_entry {
    double time;         /* Unix seconds */
    const char *client;  /* address */
    const char *key_id, *user; /* NULL when none */
    const char *method, *route; /* route: the pattern, NULL when none matched */
    int status;
    uint64_t bytes_in, bytes_out, us;
    const char *problem; /* the problem's name for errors, NULL otherwise */
} ad_alog_entry;
ad_code ad_alog_open(ad_alog **out, const char *path, ad_err *err);
void ad_alog_write(ad_alog *l, const ad_alog_entry *e);
/* Lines gather in a buffer of cap bytes from now on (the readlog's flusher flushes it every
 * interval, before the audit rows that digest its lines). */
ad_code ad_alog_buffer(ad_alog *l, size_t cap, ad_err *err);
/* Writes what the buffer holds now. NULL allowed. */
void ad_alog_flush(ad_alog *l);
void ad_alog_close(ad_alog *l); /* flushes, syncs the file to disk */
/* The line of one audited read (readlog.c): {"time", "read": action, "who", "agency", "object",
 * "detail"}, with its newline, into buf; its length (cut at cap-1). */
size_t ad_alog_read_format(char *buf, size_t cap, double time, const char *who,
                           int64_t agency_id, const char *action, const char *object,
                           const char *detail);
/* Appends a whole line (one write(2) when unbuffered). */
void ad_alog_raw(ad_alog *l, const char *line, size_t n);

/* Reads audited in batches (docs/server.md, "Reads in the audit"): the store's read sink of
 * every server connection. Each read is a line of the access log; at most every interval
 * seconds (and at the stop) each (who, agency, action) group of reads since the last flush
 * becomes ONE audit row: "reads=N lines_sha256=HEX from=TIME to=TIME", the digest of its
 * lines in the order written. The chain stays linear and readers never wait for the audit
 * head. Thread-safe. */
typedef struct ad_readlog ad_readlog;
ad_code ad_readlog_start(ad_readlog **out, const char *db_url, ad_alog *alog, double interval,
                         ad_err *err);
/* The ad_read_sink (store.h) to give each connection, with the readlog as its context. */
void ad_readlog_sink(void *ctx, const char *who, int64_t agency_id, const char *action,
                     const char *object, const char *detail);
/* Writes the groups gathered so far now (the flusher does it every interval). */
ad_code ad_readlog_flush(ad_readlog *rl, ad_err *err);
/* Flushes, stops the flusher, closes its connection. NULL allowed. */
void ad_readlog_stop(ad_readlog *rl);
/* The line of e (with its newline) into buf; its length (cut at cap-1). */
size_t ad_alog_format(const ad_alog_entry *e, char *buf, size_t cap);

/* Metrics in Prometheus's text format. Counters are atomic: no lock on the request path. */
typedef struct ad_metrics ad_metrics;
ad_metrics *ad_metrics_new(const ad_http_route *routes, size_t n);
void ad_metrics_free(ad_metrics *m);
/* route: index in the table, -1 when none matched. */
void ad_metrics_request(ad_metrics *m, int route, int status, uint64_t us);
void ad_metrics_inflight(ad_metrics *m, int delta);
enum { AD_AUTH_MISSING, AD_AUTH_MALFORMED, AD_AUTH_REFUSED, AD_AUTH_LIMITED, AD_AUTH__COUNT };
void ad_metrics_auth_failure(ad_metrics *m, int reason);
void ad_metrics_rate_limited(ad_metrics *m);
void ad_metrics_write(ad_metrics *m, FILE *out, double uptime);

/* A quick reader of the common POST /v1/match bodies (match_quick.c): 1 and the request (to
 * free) when body is {"hashes": [...]} of digests and PDQs (a value or the 8 dihedral forms)
 * in a narrow form (ASCII, no escapes, each member once, nothing unknown); 0 when it is anything
 * else, for the general way (ad_http_check_body, ad_match_request_parse) to read or refuse.
 * What it accepts, the general way reads as the same request. */
int ad_match_quick(const char *body, size_t len, ad_match_request *out);

/* The OpenAPI document (docs/openapi.json), compiled in (cmake/embed-text.cmake). */
extern const char ad_openapi_json[];
extern const size_t ad_openapi_json_len;

#endif
