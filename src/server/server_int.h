/* server_int.h: the server object, shared by server.c (the daemon, requests, shutdown),
 * tstore.c (store connections of the server's threads) and routes_core.c (the routes that report
 * on the server itself). */
#ifndef AD_SERVER_INT_H
#define AD_SERVER_INT_H

#include <pthread.h>

#include "server/http.h"

struct MHD_Daemon;
typedef struct ad_tstore ad_tstore;

struct ad_server {
    ad_server_opts o;
    uint64_t id;  /* this server among those of the process (thread caches are keyed by it) */
    char *db_url, address[80];
    /* one libmicrohttpd daemon (one epoll thread) per server thread, each on its own listening
     * socket of the same address (SO_REUSEPORT: the kernel spreads new connections over them;
     * one daemon with a thread pool let one thread accept a whole burst of connections) */
    unsigned nd;
    struct MHD_Daemon *d[AD_SERVER_MAX_THREADS];
    int fd[AD_SERVER_MAX_THREADS]; /* the listening sockets (-1: none) */
    ad_http_route *routes;
    size_t n_routes;
    ad_metrics *metrics;
    ad_alog *alog;
    ad_readlog *readlog;   /* reads' audit in batches: every connection's read sink */
    ad_buckets *auth_fail; /* failed authentications by client address */
    ad_buckets *rate;      /* requests by API key (opts.rate) */
    ad_keycache *keys;     /* keys checked in the last opts.key_ttl seconds */
    char *tls_cert, *tls_key;
    size_t tls_key_len;
    double started;        /* ad_now() at start */
    int64_t inflight;      /* requests between their headers and the end of their answer */
    int stopping;
    pthread_mutex_t mu;    /* guards stores */
    ad_tstore *stores;
    char mhd_error[256];   /* libmicrohttpd's last message, for a start that fails */
};

/* The store connections (tstore.c): one per server thread, opened on first use. */
ad_code ad_tstore_get(ad_server *srv, ad_store **st, ad_err *err);
void ad_tstore_close_all(ad_server *srv);

#endif
