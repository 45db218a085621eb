/* bench_live_load.c: how long a server's live index takes to load, from the store and from its
 * snapshot, side by side (docs/benchmarks.md, "The live index's snapshot").
 *
 *   bench_live_load --db URL --snapshot FILE [--rounds N]
 *
 * Each round loads the live index from the store (ad_live_load), writes the snapshot (the first
 * round only), then loads it from the snapshot (ad_live_load_snapshot), checks that both hold the
 * same counts, and prints one line per load: seconds, the machine's load average, the counts.
 * The store is only read (one index.load audit row per load). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/live.h"
#include "ariadne/util.h"

static double loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static void line(const char *what, double secs, ad_live *lv)
{
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    printf("%-9s %7.1f s  load %4.1f  pdq %zu  digests %zu  entries %zu  seq %lld\n", what, secs,
           loadavg(), s.pdq, s.digests, s.entries, (long long)s.seq);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *url = NULL, *snap = NULL;
    int rounds = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--db"))
            url = argv[i + 1];
        else if (!strcmp(argv[i], "--snapshot"))
            snap = argv[i + 1];
        else if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[i + 1]);
    }
    if (!url || !snap || rounds < 1) {
        fprintf(stderr, "usage: bench_live_load --db URL --snapshot FILE [--rounds N]\n");
        return 2;
    }
    ad_store *st;
    ad_err e = {0};
    if (ad_store_open(&st, url, 0, &e) != AD_OK) {
        fprintf(stderr, "bench_live_load: %s\n", e.msg);
        return 1;
    }
    ad_store_set_actor(st, "bench", 0);
    int rc = 0;
    for (int r = 0; r < rounds && !rc; r++) {
        ad_live *full = NULL, *fast = NULL;
        double t0 = ad_now();
        if (ad_live_load(st, NULL, &full, &e) != AD_OK)
            break;
        line("store", ad_now() - t0, full);
        if (r == 0) {
            t0 = ad_now();
            if (ad_live_snapshot_save(full, st, snap, &e) != AD_OK) {
                ad_live_free(full);
                break;
            }
            printf("%-9s %7.1f s\n", "write", ad_now() - t0);
        }
        ad_live_stats a, b;
        ad_live_stats_get(full, &a);
        ad_live_free(full); /* one index in memory at a time */
        t0 = ad_now();
        size_t replayed;
        if (ad_live_load_snapshot(st, NULL, snap, &replayed, &fast, &e) != AD_OK)
            break;
        line("snapshot", ad_now() - t0, fast);
        ad_live_stats_get(fast, &b);
        if (a.pdq != b.pdq || a.digests != b.digests || a.entries != b.entries) {
            fprintf(stderr, "bench_live_load: the snapshot does not hold what the store does\n");
            rc = 1;
        }
        ad_live_free(fast);
    }
    if (e.code) {
        fprintf(stderr, "bench_live_load: %s\n", e.msg);
        rc = 1;
    }
    ad_store_close(st);
    return rc;
}
