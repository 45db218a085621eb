/* cmd_sync.c: `ariadne sync PEER`: the bundle exchange over HTTP with a peer's `ariadne serve`
 * (docs/federation.md "Transport"): push this instance's bundle for the peer (POST
 * /v1/fed/changes), then pull the peer's bundle for us (GET /v1/fed/changes, the request
 * signed with our key) and import it, verified whole. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "ariadne/fed.h"
#include "ariadne/util.h"
#include "cli.h"

typedef struct {
    const char *want;
    char url[1024], pub[AD_FED_PUBKEY_HEX + 1];
    int found;
} peer_find;

static int find_peer(void *ctx, const ad_fed_peer *p)
{
    peer_find *f = ctx;
    if (strcmp(p->name, f->want))
        return 0;
    snprintf(f->url, sizeof f->url, "%s", p->url ? p->url : "");
    snprintf(f->pub, sizeof f->pub, "%s", p->pubkey);
    f->found = 1;
    return 1;
}

typedef struct {
    uint8_t *p;
    size_t n, cap;
    FILE *f; /* when set, the body goes there (a bundle is not held whole in memory) */
} body;

static size_t on_data(char *d, size_t sz, size_t nm, void *ctx)
{
    body *b = ctx;
    size_t n = sz * nm;
    if (b->f)
        return fwrite(d, 1, n, b->f);
    if (b->n + n > (size_t)1 << 34)
        return 0; /* far beyond any bundle: stop */
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q)
            return 0;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
    return n;
}

/* One request; the answer's body into *out. Returns the HTTP status, or -1 with err. */
static long http(const char *url, const uint8_t *post, size_t len, body *out, ad_err *err)
{
    CURL *c = curl_easy_init();
    if (!c) {
        ad_err_set(err, AD_ERR_NOMEM, "libcurl failed to start");
        return -1;
    }
    struct curl_slist *h = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (post) {
        h = curl_slist_append(h, "Content-Type: application/octet-stream");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)post);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode cc = curl_easy_perform(c);
    long status = -1;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        ad_err_set(err, AD_ERR_IO, "%s: %s", url, curl_easy_strerror(cc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* A problem document's detail, else the status. */
static void http_error(ad_err *err, const char *what, long status, const body *b)
{
    json_t *j = b->n ? json_loadb((const char *)b->p, b->n, 0, NULL) : NULL;
    const char *d = json_string_value(json_object_get(j, "detail"));
    ad_err_set(err, AD_ERR_IO, "%s: HTTP %ld%s%s", what, status, d ? ": " : "", d ? d : "");
    json_decref(j);
}

static int sync_run(const ad_args *a, ad_store *st, const ad_fed_key *key, const peer_find *pf,
                    int all)
{
    ad_err err;
    uint8_t *out = NULL;
    size_t len = 0;
    ad_fed_stats sent, got = {0};
    char url[1300];
    /* push */
    if (ad_fed_bundle_export(st, key, pf->want, all, &out, &len, &sent, &err) != AD_OK)
        return ad_cli_fail(a, &err);
    snprintf(url, sizeof url, "%s/v1/fed/changes", pf->url);
    body b = {0};
    long status = http(url, out, len, &b, &err);
    free(out);
    if (status != 200) {
        if (status >= 0)
            http_error(&err, "push", status, &b);
        free(b.p);
        ad_cli_error(a->prog, "%s (what it held counts as sent: sync again with --all)", err.msg);
        return AD_EXIT_FAIL;
    }
    free(b.p);
    /* pull */
    char me[AD_FED_PUBKEY_HEX + 1], sig[129];
    int64_t t = (int64_t)time(NULL);
    ad_hex_encode(key->pk, 32, me);
    ad_fed_pull_sign(key, pf->pub, t, sig);
    snprintf(url, sizeof url, "%s/v1/fed/changes?peer=%s&t=%lld&sig=%s%s", pf->url, me,
             (long long)t, sig, all ? "&all=true" : "");
    memset(&b, 0, sizeof b);
    b.f = tmpfile(); /* verified from there, then applied from there */
    if (!b.f) {
        ad_err_set(&err, AD_ERR_IO, "cannot make a temporary file for the pulled bundle");
        return ad_cli_fail(a, &err);
    }
    status = http(url, NULL, 0, &b, &err);
    int ok = status == 200 && fflush(b.f) == 0 && !ferror(b.f);
    rewind(b.f);
    if (!ok) {
        if (status >= 0) {
            FILE *f = b.f;
            b.f = NULL;
            uint8_t part[65536];
            on_data((char *)part, 1, fread(part, 1, sizeof part, f), &b);
            http_error(&err, "pull", status, &b);
            fclose(f);
        } else {
            fclose(b.f);
        }
        free(b.p);
        return ad_cli_fail(a, &err);
    }
    ad_code rc = ad_fed_bundle_import_file(st, b.f, &got, &err);
    fclose(b.f);
    if (rc != AD_OK)
        return ad_cli_fail(a, &err);
    if (a->json)
        ad_cli_json(json_pack("{s:s, s:{s:I, s:I}, s:{s:I, s:I, s:I}}", "peer", pf->want, "sent",
                              "sets", (json_int_t)sent.sets, "changes", (json_int_t)sent.changes,
                              "received", "sets", (json_int_t)got.sets, "applied",
                              (json_int_t)got.applied, "skipped", (json_int_t)got.skipped));
    else
        printf("%s: sent %lld change sets (%lld changes), received %lld (%lld changes applied, "
               "%lld already here)\n",
               pf->want, (long long)sent.sets, (long long)sent.changes, (long long)got.sets,
               (long long)got.applied, (long long)got.skipped);
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
                          "held, both ways.",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    peer_find pf = {.want = a.pos[0]};
    if (ad_fed_peer_list(st, find_peer, &pf, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (!pf.found)
        return ad_cli_close(
            st, ad_args_usage_error(&a, "no peer '%s' ('ariadne peer list')", a.pos[0]));
    if (!pf.url[0])
        return ad_cli_close(st,
                            ad_args_usage_error(&a, "peer '%s' has no URL: use bundles", a.pos[0]));
    char path[AD_STORE_URL_MAX + 16];
    ad_fed_key key;
    if (ad_fed_key_path(ad_arg(&a, "--db"), ad_arg(&a, "--fed-key"), path, sizeof path, &err) ||
        ad_fed_key_load(st, path, &key, &err))
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = sync_run(&a, st, &key, &pf, all);
    curl_global_cleanup();
    ad_fed_key_wipe(&key);
    return ad_cli_close(st, rc);
}
