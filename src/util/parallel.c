/* parallel.c: a parallel loop over [0, n) with a shared atomic counter (dynamic scheduling). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "ariadne/util.h"

struct par {
    atomic_size_t next;
    size_t n;
    ad_parallel_fn fn;
    void *ctx;
};

struct worker {
    struct par *par;
    int id;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    struct par *p = w->par;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            break;
        p->fn(p->ctx, i, w->id);
    }
    return NULL;
}

ad_code ad_parallel_for(size_t n, int threads, ad_parallel_fn fn, void *ctx, ad_err *err)
{
    if (threads <= 0)
        threads = ad_cpu_count();
    if ((size_t)threads > n)
        threads = n ? (int)n : 1;
    struct par p = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&p.next, 0);
    if (threads == 1) {
        struct worker w = {&p, 0};
        run(&w);
        return AD_OK;
    }
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    struct worker *ws = calloc((size_t)threads, sizeof *ws);
    if (!tids || !ws) {
        free(tids);
        free(ws);
        return ad_err_set(err, AD_ERR_NOMEM, "cannot allocate %d workers", threads);
    }
    int started = 0;
    for (int t = 1; t < threads; t++) {
        ws[t] = (struct worker){&p, t};
        if (pthread_create(&tids[t], NULL, run, &ws[t]) != 0)
            break;
        started = t;
    }
    ws[0] = (struct worker){&p, 0};
    run(&ws[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    free(tids);
    free(ws);
    return AD_OK;
}
