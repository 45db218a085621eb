/* cmd_sync.c: `ariadne sync PEER`: the bundle exchange over HTTP with a peer's `ariadne serve`
 * (docs/federation.md "Transport"), by the library's ad_fed_sync (the code path `ariadne serve
 * --sync-every` uses too): push this instance's bundle for the peer, then pull the peer's
 * bundle for us and import it, verified whole. */
#include <curl/curl.h>
#include <stdio.h>

#include "args.h"
#include "ariadne/fed.h"
#include "ariadne/util.h"
#include "cli.h"

static int sync_run(const ad_args *a, ad_store *st, const ad_fed_key *key, const char *peer,
                    int all)
{
    ad_err err;
    ad_fed_sync_result r;
    ad_code rc = ad_fed_sync(st, key, peer, all, NULL, NULL, &r, &err);
    if (rc != AD_OK && r.stage == AD_FED_SYNC_PEER && (rc == AD_ERR_NOT_FOUND || rc == AD_ERR_ARG))
        return ad_args_usage_error(a, "%s", err.msg);
    if (rc != AD_OK && r.stage == AD_FED_SYNC_PUSH) {
        ad_cli_error(a->prog, "%s (what it held counts as sent: sync again with --all)", err.msg);
        return AD_EXIT_FAIL;
    }
    if (rc != AD_OK)
        return ad_cli_fail(a, &err);
    if (a->json)
        ad_cli_json(json_pack("{s:s, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:{s:i, s:i, s:I, s:I}}",
                              "peer", peer, "sent", "sets", (json_int_t)r.sent.sets, "changes",
                              (json_int_t)r.sent.changes, "received", "sets",
                              (json_int_t)r.got.sets, "applied", (json_int_t)r.got.applied,
                              "skipped", (json_int_t)r.got.skipped, "http", "requests",
                              r.requests + r.pulls, "refused", r.refused, "bytes_sent",
                              (json_int_t)r.bytes_up, "bytes_received",
                              (json_int_t)r.bytes_down));
    else
        printf("%s: sent %lld change sets (%lld changes), received %lld (%lld changes applied, "
               "%lld already here); %d HTTP requests (%d refused as too large), %lld bytes sent, "
               "%lld received\n",
               peer, (long long)r.sent.sets, (long long)r.sent.changes, (long long)r.got.sets,
               (long long)r.got.applied, (long long)r.got.skipped, r.requests + r.pulls,
               r.refused, (long long)r.bytes_up, (long long)r.bytes_down);
    return AD_EXIT_OK;
}

int ad_cmd_sync(int argc, char **argv)
{
    static const char *const opts[] = {"--fed-key", NULL};
    int all = ad_args_take_flag(&argc, argv, "--all");
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "sync",
                          "sync PEER [--all] [--fed-key FILE] [--json]\n"
                          "  Over HTTP with the peer's 'ariadne serve' at its URL ('peer add'): "
                          "sends the change sets\n  it was not sent yet, then fetches and imports "
                          "its bundle for this instance (verified\n  whole). --all: everything "
                          "held, both ways. ('ariadne serve --sync-every' does the\n  same on a "
                          "schedule.)",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    char path[AD_STORE_URL_MAX + 16];
    ad_fed_key key;
    if (ad_fed_key_path(ad_arg(&a, "--db"), ad_arg(&a, "--fed-key"), path, sizeof path, &err) ||
        ad_fed_key_load(st, path, &key, &err))
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = sync_run(&a, st, &key, a.pos[0], all);
    curl_global_cleanup();
    ad_fed_key_wipe(&key);
    return ad_cli_close(st, rc);
}
