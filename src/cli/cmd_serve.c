/* cmd_serve.c: `ariadne serve`: the HTTP API over the store (the library's ad_server_start), until
 * SIGTERM or SIGINT, then a graceful stop: no new connections, the requests in flight finished,
 * the access log flushed, exit 0. The live index (live.h) is loaded before the server starts (from
 * a snapshot with --snapshot, written again at the stop) and follows the store on a thread of its
 * own until the server has stopped. */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ariadne/fed.h"
#include "ariadne/live.h"
#include "ariadne/server.h"
#include "ariadne/util.h"
#include "args.h"
#include "cli.h"

static const char usage[] =
    "serve --listen ADDR:PORT [--db URL] [--tls-cert FILE --tls-key FILE]\n"
    "  [--threads N] [--max-body SIZE] [--max-connections N] [--timeout S] [--rate N]\n"
    "  [--access-log FILE] [--metrics-from loopback|any]\n"
    "  [--hold-min N] [--hold-factor F] [--hold-window S] [--snapshot FILE]\n"
    "  [--session-idle S] [--sync-every DURATION [--fed-key FILE]] [--json]\n"
    "  Serves the store as the HTTP API (docs/server.md; the routes are described at\n"
    "  /v1/openapi.json) until SIGTERM or SIGINT, then stops gracefully: no new connections,\n"
    "  the requests in flight finished (for up to --timeout seconds), the access log flushed;\n"
    "  exit 0. Requests authenticate with 'Authorization: Bearer KEY' (keys of 'ariadne user\n"
    "  add') or a web session (people sign in at / with 'ariadne user passwd''s password:\n"
    "  docs/web.md); /healthz, /metrics and /v1/openapi.json need none. The live index (the PDQ\n"
    "  index, digests, list entries, grants and holds) is loaded before the server listens\n"
    "  and follows the store (polled every 200 ms; on PostgreSQL woken at once by the\n"
    "  writers' notification), so a write by any process is matched within a second.\n"
    "\n"
    "Options:\n"
    "  --listen ADDR:PORT   address and port: 127.0.0.1:8443, [::1]:8443, :8443 (every\n"
    "                       address); port 0 takes a free one (the address is printed)\n"
    "  --tls-cert FILE      HTTPS with this PEM certificate (chain) and --tls-key's PEM key\n"
    "  --tls-key FILE       (TLS 1.2 or later, by GnuTLS)\n"
    "  --threads N          server threads, each with its own store connection (default: one\n"
    "                       per core)\n"
    "  --max-body SIZE      largest request body, bytes or with K, M, G (default 8M)\n"
    "  --max-connections N  connections at once (default 1000)\n"
    "  --timeout S          seconds a connection may stay idle, and the grace given to the\n"
    "                       requests in flight at a stop (default 30)\n"
    "  --rate N             requests a second an API key may make (bursts of N; default: no\n"
    "                       limit)\n"
    "  --access-log FILE    JSON Lines access log, appended (created private); '-' for standard\n"
    "                       output (default)\n"
    "  --metrics-from loopback|any  who may read /metrics (default: loopback)\n"
    "  --hold-min N         the hold rule (docs/server.md): a list entry matched more than N\n"
    "  --hold-factor F      times in a window and more than F times its baseline is held back\n"
    "  --hold-window S      from platform matches until its owner releases it (defaults: 100,\n"
    "                       10, windows of 3600 s)\n"
    "  --snapshot FILE      start from this snapshot of the live index when it is valid for\n"
    "                       this store (then the index log since it is applied), else load\n"
    "                       from the store and write it; written again at a stop. A damaged,\n"
    "                       foreign or stale snapshot is said and not used\n"
    "  --session-idle S     seconds a web session may stay unused before it ends (default\n"
    "                       1800)\n"
    "  --sync-every DURATION  sync with every peer that has a URL ('ariadne peer add') on a\n"
    "                       schedule, as 'ariadne sync PEER' does: 30s, 5m, 1h, 1d (0.1 s to\n"
    "                       30 days; a bare number is seconds). A failure is logged and\n"
    "                       retried with backoff; it never stops the server\n"
    "  --fed-key FILE       this instance's secret key for --sync-every (default:\n"
    "                       $ARIADNE_FED_KEY, else beside an SQLite store)\n"
    "  --json               the 'listening' line as JSON on standard output\n"
    "Exit status: 0 stopped by a signal, 1 the server could not start (store, address in use,\n"
    "TLS files), 2 usage.";

/* A duration: a number (decimals allowed) with ms, s, m, h or d (none: seconds); -1 if not. */
static double parse_duration(const char *text)
{
    char *end;
    if (!text || !((text[0] >= '0' && text[0] <= '9') || text[0] == '.'))
        return -1;
    double v = strtod(text, &end);
    static const struct {
        const char *unit;
        double secs;
    } units[] = {{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].unit))
            return isfinite(v) ? v * units[i].secs : -1;
    return -1;
}

static void sync_log(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "ariadne serve: %s\n", line);
}

/* /healthz: ready while the live index follows the store (a round within the last 10 s). */
#define FOLLOW_STALE_S 10.0

static ad_code live_health(void *ctx, ad_err *err)
{
    ad_live *lv = ctx;
    if (!lv)
        return ad_err_set(err, AD_ERR_IO, "the live index is not loaded yet");
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    double lag = ad_now() - s.last_follow;
    if (lag > FOLLOW_STALE_S)
        return ad_err_set(err, AD_ERR_IO, "the live index has not followed the store for %.0f s%s%s",
                          lag, s.follow_msg[0] ? ": " : "", s.follow_msg);
    return AD_OK;
}

static void live_metrics(void *ctx, FILE *out)
{
    ad_live *lv = ctx;
    if (!lv)
        return;
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    fprintf(out,
            "# HELP ariadne_index_pdq PDQ hashes in the live index (media and video frames).\n"
            "# TYPE ariadne_index_pdq gauge\nariadne_index_pdq %zu\n"
            "# HELP ariadne_index_digests Digest keys in the live index.\n"
            "# TYPE ariadne_index_digests gauge\nariadne_index_digests %zu\n"
            "# HELP ariadne_index_entries List entries in the live index.\n"
            "# TYPE ariadne_index_entries gauge\nariadne_index_entries %zu\n"
            "# HELP ariadne_index_held List entries held back from platform matches.\n"
            "# TYPE ariadne_index_held gauge\nariadne_index_held %zu\n"
            "# HELP ariadne_index_seq The last index log row applied.\n"
            "# TYPE ariadne_index_seq gauge\nariadne_index_seq %lld\n"
            "# HELP ariadne_follower_lag_seconds Seconds since the last successful follow round.\n"
            "# TYPE ariadne_follower_lag_seconds gauge\nariadne_follower_lag_seconds %.3f\n"
            "# HELP ariadne_follower_rounds_total Follow rounds done.\n"
            "# TYPE ariadne_follower_rounds_total counter\nariadne_follower_rounds_total %zu\n",
            s.pdq, s.digests, s.entries, s.held, (long long)s.seq, ad_now() - s.last_follow,
            s.follows);
}

/* "live index loaded in S s: ..." (from the store), or "... loaded from snapshot FILE in ..." */
static void say_loaded(ad_live *lv, const char *snap, double secs, size_t replayed)
{
    ad_live_stats ls;
    ad_live_stats_get(lv, &ls);
    fprintf(stderr,
            "ariadne serve: live index loaded%s%s in %.1f s: %zu PDQ, %zu digests, %zu list "
            "entries (%zu held back)",
            snap ? " from snapshot " : "", snap ? snap : "", secs, ls.pdq, ls.digests,
            ls.entries, ls.held);
    if (replayed)
        fprintf(stderr, "; %zu index log rows applied since the snapshot", replayed);
    fputc('\n', stderr);
}

/* Writes the snapshot (a failure is said, never fatal: the next start loads from the store). */
static void snapshot_save(ad_live *lv, ad_store *st, const char *path)
{
    double t0 = ad_now();
    ad_err err;
    if (ad_live_snapshot_save(lv, st, path, &err) == AD_OK)
        fprintf(stderr, "ariadne serve: snapshot %s written in %.1f s\n", path, ad_now() - t0);
    else
        fprintf(stderr, "ariadne serve: warning: %s\n", err.msg);
}

/* Loads the live index: from the snapshot when there is one valid for this store (then the
 * index log since it), else from the store (then the snapshot is written). */
static ad_code live_load(const char *url, const ad_live_opts *lo, const char *snap, ad_live **lv,
                         ad_err *err)
{
    ad_store *st;
    ad_code rc = ad_store_open(&st, url, 0, err);
    if (rc != AD_OK)
        return rc;
    ad_store_set_actor(st, "serve", 0);
    double t0 = ad_now();
    if (snap) {
        size_t replayed = 0;
        ad_err e;
        rc = ad_live_load_snapshot(st, lo, snap, &replayed, lv, &e);
        if (rc == AD_OK) {
            say_loaded(*lv, snap, ad_now() - t0, replayed);
            ad_store_close(st);
            return AD_OK;
        }
        if (rc == AD_ERR_NOT_FOUND)
            fprintf(stderr, "ariadne serve: no snapshot %s yet: loading from the store\n", snap);
        else
            fprintf(stderr, "ariadne serve: snapshot not used: %s: loading from the store\n",
                    e.msg);
        t0 = ad_now();
    }
    rc = ad_live_load(st, lo, lv, err);
    if (rc == AD_OK) {
        say_loaded(*lv, NULL, ad_now() - t0, 0);
        if (snap)
            snapshot_save(*lv, st, snap);
    }
    ad_store_close(st);
    return rc;
}

/* At a stop: the snapshot again, at the position reached. */
static void live_save(const char *url, ad_live *lv, const char *snap)
{
    ad_store *st;
    ad_err err;
    if (ad_store_open(&st, url, 0, &err) != AD_OK) {
        fprintf(stderr, "ariadne serve: warning: snapshot not written: %s\n", err.msg);
        return;
    }
    snapshot_save(lv, st, snap);
    ad_store_close(st);
}

int ad_cmd_serve(int argc, char **argv)
{
    static const char *const opts[] = {
        "--listen",  "--tls-cert", "--tls-key",    "--threads",      "--max-body",
        "--max-connections", "--timeout", "--rate", "--access-log", "--metrics-from",
        "--hold-min", "--hold-factor", "--hold-window", "--snapshot", "--session-idle", "--sync-every", "--fed-key", NULL};
    ad_args a;
    int rc = ad_args_parse(&a, "serve", usage, argc, argv, opts, 0, 0);
    if (rc >= 0)
        return rc;
    ad_server_opts o;
    memset(&o, 0, sizeof o);
    o.db_url = ad_arg(&a, "--db");
    o.listen = ad_arg(&a, "--listen");
    o.tls_cert = ad_arg(&a, "--tls-cert");
    o.tls_key = ad_arg(&a, "--tls-key");
    o.access_log = ad_arg(&a, "--access-log");
    if (!o.access_log)
        o.access_log = "-";
    if (ad_arg(&a, "--as"))
        return ad_args_usage_error(&a, "--as does not apply: each request acts as its API "
                                       "key's user");
    if (!o.listen)
        return ad_args_usage_error(&a, "--listen ADDR:PORT is required");
    if (!o.tls_cert != !o.tls_key)
        return ad_args_usage_error(&a, "--tls-cert and --tls-key go together");
    ad_live_opts lo;
    ad_live_opts_default(&lo);
    if (ad_arg_int(&a, "--hold-min", 1, 100000000, &lo.hold_min) ||
        ad_arg_int(&a, "--hold-factor", 1, 1000000, &lo.hold_factor) ||
        ad_arg_int(&a, "--hold-window", 1, 30 * 86400, &lo.hold_window_s))
        return AD_EXIT_USAGE;
    int threads = 0, maxconn = 0, timeout = 0, rate = 0, idle = 0;
    if (ad_arg_int(&a, "--threads", 1, 256, &threads) ||
        ad_arg_int(&a, "--session-idle", 1, 7 * 86400, &idle) ||
        ad_arg_int(&a, "--max-connections", 1, 1000000, &maxconn) ||
        ad_arg_int(&a, "--timeout", 1, 86400, &timeout) ||
        ad_arg_int(&a, "--rate", 1, 10000000, &rate))
        return AD_EXIT_USAGE;
    o.threads = (unsigned)threads;
    o.max_connections = (unsigned)maxconn;
    o.timeout = (unsigned)timeout;
    o.rate = (unsigned)rate;
    o.session_idle = (unsigned)idle;
    const char *mb = ad_arg(&a, "--max-body");
    if (mb) {
        uint64_t v;
        if (ad_cli_parse_size(mb, &v) || v < 1 || v > (1ull << 30))
            return ad_args_usage_error(&a,
                                       "--max-body takes a size from 1 to 1G (bytes, or with K, "
                                       "M, G: 64K, 8M), not '%s'",
                                       mb);
        o.max_body = (size_t)v;
    }
    const char *mf = ad_arg(&a, "--metrics-from");
    if (mf && strcmp(mf, "loopback") && strcmp(mf, "any"))
        return ad_args_usage_error(&a, "--metrics-from takes loopback or any, not '%s'", mf);
    o.metrics_any = mf && !strcmp(mf, "any");
    ad_err err;
    if (ad_store_url_check(o.db_url, &err) != AD_OK) {
        ad_cli_error("serve", "%s (see --help)", err.msg);
        return AD_EXIT_USAGE;
    }
    const char *se = ad_arg(&a, "--sync-every");
    double every = se ? parse_duration(se) : 0;
    if (se && !(every >= 0.1 && every <= 30 * 86400.0))
        return ad_args_usage_error(&a, "--sync-every takes a duration from 0.1s to 30d (30s, "
                                       "5m, 1h), not '%s'", se);
    if (ad_arg(&a, "--fed-key") && !se)
        return ad_args_usage_error(&a, "--fed-key goes with --sync-every");
    char keypath[AD_STORE_URL_MAX + 16];
    if (se && ad_fed_key_path(o.db_url, ad_arg(&a, "--fed-key"), keypath, sizeof keypath,
                              &err) != AD_OK) {
        ad_cli_error("serve", "--sync-every: %s", err.msg);
        return AD_EXIT_USAGE;
    }

    /* the signals are taken by this thread alone (sigwait); the server's threads, started
     * after, inherit the mask */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    ad_live *lv = NULL;
    const char *snap = ad_arg(&a, "--snapshot");
    ad_code c = live_load(o.db_url, &lo, snap, &lv, &err);
    if (c == AD_OK)
        c = ad_live_follow_start(lv, o.db_url, 0, &err);
    if (c != AD_OK) {
        ad_cli_error("serve", "live index: %s", err.msg);
        ad_live_free(lv);
        return AD_EXIT_FAIL;
    }
    o.live = lv;
    o.health = live_health;
    o.metrics = live_metrics;
    o.hook_ctx = lv;
    ad_fed_syncer *syncer = NULL;
    if (se) {
        curl_global_init(CURL_GLOBAL_DEFAULT); /* before the sync thread: once per process */
        c = ad_fed_syncer_start(o.db_url, keypath, every, sync_log, NULL, &syncer, &err);
        if (c != AD_OK) {
            ad_cli_error("serve", "--sync-every: %s", err.msg);
            ad_live_follow_stop(lv);
            ad_live_free(lv);
            curl_global_cleanup();
            return AD_EXIT_FAIL;
        }
        fprintf(stderr, "ariadne serve: syncing with the peers every %g s\n", every);
    }
    o.syncer = syncer;
    ad_server *srv;
    c = ad_server_start(&srv, &o, &err);
    if (c != AD_OK) {
        ad_cli_error("serve", "%s", err.msg);
        ad_fed_syncer_stop(syncer);
        if (syncer)
            curl_global_cleanup();
        ad_live_follow_stop(lv);
        ad_live_free(lv);
        return c == AD_ERR_ARG ? AD_EXIT_USAGE : AD_EXIT_FAIL;
    }
    const char *scheme = o.tls_cert ? "https" : "http";
    if (a.json) {
        printf("{\"listening\":\"%s://%s\"}\n", scheme, ad_server_address(srv));
        fflush(stdout);
    }
    fprintf(stderr, "ariadne serve: listening on %s://%s\n", scheme, ad_server_address(srv));
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "ariadne serve: %s: stopping (requests in flight are finished)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    ad_server_stop(srv, timeout ? (double)timeout : (double)AD_SERVER_TIMEOUT);
    ad_fed_syncer_stop(syncer); /* after the server (whose status route reads it); aborts a
                                 * transfer in flight */
    if (syncer)
        curl_global_cleanup();
    ad_live_follow_stop(lv); /* after the server: no request searches it any more */
    if (snap)
        live_save(o.db_url, lv, snap);
    ad_live_free(lv);
    fprintf(stderr, "ariadne serve: stopped\n");
    return AD_EXIT_OK;
}
