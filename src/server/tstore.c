/* tstore.c: the store connections of the server's threads: each thread opens its own on first
 * use and keeps it (a thread-local cache keyed by the server), the server closes them all when
 * it stops. This is the seam the service layer's ad_pool replaces: ad_tstore_get and
 * ad_tstore_close_all are the only two calls the rest of the server makes. */
#include <stdlib.h>

#include "server/server_int.h"

struct ad_tstore {
    ad_tstore *next;
    ad_store *st;
};

static _Thread_local struct {
    uint64_t srv;
    ad_store *st;
} mine;

ad_code ad_tstore_get(ad_server *srv, ad_store **st, ad_err *err)
{
    if (mine.srv == srv->id && mine.st) {
        *st = mine.st;
        return AD_OK;
    }
    ad_tstore *t = calloc(1, sizeof *t);
    if (!t)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = ad_store_open(&t->st, srv->db_url, 0, err);
    if (rc != AD_OK) {
        free(t);
        return rc;
    }
    if (srv->readlog)
        ad_store_set_read_sink(t->st, ad_readlog_sink, srv->readlog);
    pthread_mutex_lock(&srv->mu);
    t->next = srv->stores;
    srv->stores = t;
    pthread_mutex_unlock(&srv->mu);
    mine.srv = srv->id;
    mine.st = t->st;
    *st = t->st;
    return AD_OK;
}

void ad_tstore_close_all(ad_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    ad_tstore *t = srv->stores;
    srv->stores = NULL;
    pthread_mutex_unlock(&srv->mu);
    while (t) {
        ad_tstore *next = t->next;
        ad_store_close(t->st);
        free(t);
        t = next;
    }
}
