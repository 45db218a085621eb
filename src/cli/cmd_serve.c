/* cmd_serve.c: `ariadne serve`: the HTTP API over the store (the library's ad_server_start), until
 * SIGTERM or SIGINT, then a graceful stop: no new connections, the requests in flight finished,
 * the access log flushed, exit 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ariadne/server.h"
#include "args.h"
#include "cli.h"

static const char usage[] =
    "serve --listen ADDR:PORT [--db URL] [--tls-cert FILE --tls-key FILE]\n"
    "  [--threads N] [--max-body SIZE] [--max-connections N] [--timeout S] [--rate N]\n"
    "  [--access-log FILE] [--metrics-from loopback|any] [--json]\n"
    "  Serves the store as the HTTP API (docs/server.md; the routes are described at\n"
    "  /v1/openapi.json) until SIGTERM or SIGINT, then stops gracefully: no new connections,\n"
    "  the requests in flight finished (for up to --timeout seconds), the access log flushed;\n"
    "  exit 0. Requests authenticate with 'Authorization: Bearer KEY' (keys of 'ariadne user\n"
    "  add'); /healthz, /metrics and /v1/openapi.json need none.\n"
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
    "  --json               the 'listening' line as JSON on standard output\n"
    "Exit status: 0 stopped by a signal, 1 the server could not start (store, address in use,\n"
    "TLS files), 2 usage.";

int ad_cmd_serve(int argc, char **argv)
{
    static const char *const opts[] = {
        "--listen",  "--tls-cert", "--tls-key",    "--threads",      "--max-body",
        "--max-connections", "--timeout", "--rate", "--access-log", "--metrics-from", NULL};
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
    int threads = 0, maxconn = 0, timeout = 0, rate = 0;
    if (ad_arg_int(&a, "--threads", 1, 1024, &threads) ||
        ad_arg_int(&a, "--max-connections", 1, 1000000, &maxconn) ||
        ad_arg_int(&a, "--timeout", 1, 86400, &timeout) ||
        ad_arg_int(&a, "--rate", 1, 10000000, &rate))
        return AD_EXIT_USAGE;
    o.threads = (unsigned)threads;
    o.max_connections = (unsigned)maxconn;
    o.timeout = (unsigned)timeout;
    o.rate = (unsigned)rate;
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

    /* the signals are taken by this thread alone (sigwait); the server's threads, started
     * after, inherit the mask */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    ad_server *srv;
    ad_code c = ad_server_start(&srv, &o, &err);
    if (c != AD_OK) {
        ad_cli_error("serve", "%s", err.msg);
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
    fprintf(stderr, "ariadne serve: stopped\n");
    return AD_EXIT_OK;
}
