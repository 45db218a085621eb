/* bucket.c: token buckets by key (failed authentications by client address, requests by API
 * key): a bounded open-addressing table under one lock; an entry not found takes the least
 * recently seen of its probe window, so memory stays fixed however many addresses call. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

#define KEY_MAX 32
#define PROBE 8

typedef struct {
    uint8_t key[KEY_MAX];
    uint8_t len; /* 0: free */
    double tokens, seen;
} slot;

struct ad_buckets {
    pthread_mutex_t mu;
    slot *s;
    size_t cap; /* a power of two */
    double burst, rate;
};

ad_buckets *ad_buckets_new(size_t cap, double burst, double per_second)
{
    size_t c = 16;
    while (c < cap)
        c <<= 1;
    ad_buckets *b = calloc(1, sizeof *b);
    if (!b || !(b->s = calloc(c, sizeof *b->s))) {
        free(b);
        return NULL;
    }
    pthread_mutex_init(&b->mu, NULL);
    b->cap = c;
    b->burst = burst < 1 ? 1 : burst;
    b->rate = per_second;
    return b;
}

void ad_buckets_free(ad_buckets *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    free(b->s);
    free(b);
}

static uint64_t hash(const uint8_t *k, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 1099511628211ull;
    return h;
}

/* The slot of key, refilled to now (a new one full); under the lock. */
static slot *find(ad_buckets *b, const uint8_t *key, size_t len, double now)
{
    if (len > KEY_MAX)
        len = KEY_MAX;
    size_t i0 = (size_t)hash(key, len) & (b->cap - 1);
    slot *victim = NULL;
    for (size_t j = 0; j < PROBE; j++) {
        slot *s = &b->s[(i0 + j) & (b->cap - 1)];
        if (s->len == len && !memcmp(s->key, key, len)) {
            s->tokens += (now - s->seen) * b->rate;
            if (s->tokens > b->burst)
                s->tokens = b->burst;
            s->seen = now;
            return s;
        }
        if (!s->len) { /* a free slot is taken first */
            if (!victim || victim->len)
                victim = s;
        } else if (!victim || (victim->len && s->seen < victim->seen)) {
            victim = s;
        }
    }
    memcpy(victim->key, key, len);
    victim->len = (uint8_t)len;
    victim->tokens = b->burst;
    victim->seen = now;
    return victim;
}

static int use(ad_buckets *b, const void *key, size_t len, double now, double *wait, int take)
{
    pthread_mutex_lock(&b->mu);
    slot *s = find(b, key, len, now);
    int ok = s->tokens >= 1;
    if (ok && take)
        s->tokens -= 1;
    if (!ok && wait)
        *wait = b->rate > 0 ? (1 - s->tokens) / b->rate : 3600;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

int ad_buckets_take(ad_buckets *b, const void *key, size_t len, double now, double *wait)
{
    return use(b, key, len, now, wait, 1);
}

int ad_buckets_peek(ad_buckets *b, const void *key, size_t len, double now, double *wait)
{
    return use(b, key, len, now, wait, 0);
}
