/* keycache.c: API keys a server has checked recently, so that a busy caller's every request does
 * not read the store (a query, a lock of the database file) to learn who it is. An entry holds
 * the key's digest (BLAKE2b under a key made at the server's start: the key itself is never
 * kept), the identity and the key's expiry; it is trusted for ttl seconds, after which the store
 * is asked again, so a revoked key stops working within ttl (docs/server.md). Direct-mapped by
 * key id, bounded, thread-safe. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "server/http.h"

typedef struct entry {
    uint8_t digest[32]; /* of the whole key; all zero: empty */
    ad_identity who;
    int64_t expires;
    double fetched;
} entry;

struct ad_keycache {
    pthread_mutex_t mu;
    uint8_t secret[crypto_generichash_KEYBYTES];
    double ttl;
    size_t cap;
    entry *v;
};

ad_keycache *ad_keycache_new(size_t cap, double ttl)
{
    if (sodium_init() < 0)
        return NULL;
    ad_keycache *k = calloc(1, sizeof *k);
    if (!k || !(k->v = calloc(cap ? cap : 1, sizeof *k->v))) {
        free(k);
        return NULL;
    }
    pthread_mutex_init(&k->mu, NULL);
    randombytes_buf(k->secret, sizeof k->secret);
    k->ttl = ttl;
    k->cap = cap ? cap : 1;
    return k;
}

void ad_keycache_free(ad_keycache *k)
{
    if (!k)
        return;
    sodium_memzero(k->v, k->cap * sizeof *k->v);
    sodium_memzero(k->secret, sizeof k->secret);
    pthread_mutex_destroy(&k->mu);
    free(k->v);
    free(k);
}

static size_t slot(const ad_keycache *k, const uint8_t digest[32])
{
    uint64_t h;
    memcpy(&h, digest, 8);
    return (size_t)(h % k->cap);
}

static void digest_of(const ad_keycache *k, const char *key, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)key, len, k->secret, sizeof k->secret);
}

int ad_keycache_get(ad_keycache *k, const char *key, size_t len, double now, int64_t wall,
                    ad_identity *out)
{
    if (!k || k->ttl <= 0)
        return 0;
    uint8_t d[32];
    digest_of(k, key, len, d);
    int hit = 0;
    pthread_mutex_lock(&k->mu);
    entry *e = &k->v[slot(k, d)];
    if (sodium_memcmp(e->digest, d, 32) == 0 && now - e->fetched < k->ttl &&
        (!e->expires || wall < e->expires)) {
        *out = e->who;
        hit = 1;
    }
    pthread_mutex_unlock(&k->mu);
    return hit;
}

void ad_keycache_put(ad_keycache *k, const char *key, size_t len, double now,
                     const ad_identity *who, int64_t expires)
{
    if (!k || k->ttl <= 0)
        return;
    uint8_t d[32];
    digest_of(k, key, len, d);
    pthread_mutex_lock(&k->mu);
    entry *e = &k->v[slot(k, d)];
    memcpy(e->digest, d, 32);
    e->who = *who;
    e->expires = expires;
    e->fetched = now;
    pthread_mutex_unlock(&k->mu);
}

void ad_keycache_clear(ad_keycache *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    sodium_memzero(k->v, k->cap * sizeof *k->v);
    pthread_mutex_unlock(&k->mu);
}
