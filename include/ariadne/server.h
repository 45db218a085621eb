/* server.h: `ariadne serve` as a library call: the HTTP API (libmicrohttpd, its epoll thread
 * pool, TLS by GnuTLS) over one store. The caller (src/cli/cmd_serve.c) starts a server, waits
 * for a signal and stops it; the routes themselves are in src/server/ (docs/server.md). */
#ifndef ARIADNE_SERVER_H
#define ARIADNE_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_server ad_server;
struct ad_http_route; /* src/server/http.h */

/* Defaults of the limits (docs/server.md, "Limits"). */
#define AD_SERVER_MAX_BODY (8u << 20)    /* bytes of a request body */
#define AD_SERVER_MAX_CONNECTIONS 1000u  /* connections at once */
#define AD_SERVER_TIMEOUT 30u            /* seconds a connection may stay idle */
#define AD_SERVER_AUTH_BURST 10u         /* failed authentications an address may make at once */
#define AD_SERVER_AUTH_REFILL 1.0        /* ... and then per second */
#define AD_SERVER_MAX_THREADS 256u        /* server threads at most */
#define AD_SERVER_KEY_TTL 1.0            /* seconds a checked key is trusted without the store */
#define AD_SERVER_SESSION_IDLE 1800u     /* seconds a web session may stay unused */

typedef struct ad_server_opts {
    const char *db_url;    /* the store (ad_store_open's url) */
    const char *listen;    /* "ADDR:PORT": "127.0.0.1:8443", "[::1]:0", ":8080" (any address) */
    const char *tls_cert;  /* PEM certificate chain file, or NULL for plain HTTP */
    const char *tls_key;   /* PEM private key file (with tls_cert) */
    unsigned threads;      /* server threads (0: one per core) */
    size_t max_body;       /* 0: AD_SERVER_MAX_BODY */
    unsigned max_connections; /* 0: AD_SERVER_MAX_CONNECTIONS */
    unsigned timeout;      /* seconds, 0: AD_SERVER_TIMEOUT */
    unsigned rate;         /* requests per second per API key (burst: one second's worth); 0: none */
    unsigned auth_burst;   /* 0: AD_SERVER_AUTH_BURST */
    double auth_refill;    /* 0: AD_SERVER_AUTH_REFILL */
    /* Seconds a checked API key is trusted before the store is asked again (0:
     * AD_SERVER_KEY_TTL; < 0: every request asks): a key revoked by another process stops
     * working within it; one revoked through this server at once. */
    double key_ttl;
    /* Seconds a web session may stay unused before it ends (0: AD_SERVER_SESSION_IDLE). */
    unsigned session_idle;
    /* Reads one audit row each, as on the command line, instead of in batches (only to measure
     * what the batches save: bench/bench_serve). */
    int audit_reads_inline;
    const char *access_log; /* JSON Lines file (appended, created private), "-" for standard
                             * output, NULL for none */
    int metrics_any;       /* /metrics answers any address (default: loopback only) */
    /* More routes (the service layer's), after the server's own; the array must outlive the
     * server. A route whose method and pattern are the server's own replaces it. */
    const struct ad_http_route *routes;
    size_t n_routes;
    /* Hooks: health says whether the server can serve beyond the store (the live index loaded:
     * AD_OK, else an error whose message /healthz gives); metrics appends Prometheus text lines
     * (index size, follower lag) to out. Either may be NULL. */
    ad_code (*health)(void *ctx, ad_err *err);
    void (*metrics)(void *ctx, FILE *out);
    void *hook_ctx;
    /* The live index the routes match against (live.h; loaded and followed by the caller), or
     * NULL: routes that need it answer 503. */
    struct ad_live *live;
    /* The scheduled sync with the peers (fed.h, `serve --sync-every`), or NULL: GET
     * /v1/fed/status then reports no schedule. */
    struct ad_fed_syncer *syncer;
} ad_server_opts;

/* Opens the store (one connection per server thread, opened as threads need them), binds the
 * address and starts serving. Errors: AD_ERR_ARG (a bad listen address or option), AD_ERR_IO
 * (the address cannot be bound, a TLS file cannot be read), AD_ERR_UNSUPPORTED (TLS without
 * GnuTLS in libmicrohttpd), the store's own errors. */
ad_code ad_server_start(ad_server **out, const ad_server_opts *opts, ad_err *err);
/* The address the server listens on, as "127.0.0.1:43121" or "[::1]:8080" (the real port when
 * 0 was asked). */
const char *ad_server_address(const ad_server *srv);
/* Graceful stop: stops accepting connections, lets the requests in flight finish (waiting up to
 * `grace` seconds), closes idle connections, flushes the access log, closes the store
 * connections and frees the server. NULL is allowed. */
void ad_server_stop(ad_server *srv, double grace);

#ifdef __cplusplus
}
#endif
#endif
