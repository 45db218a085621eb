/* sync.c: one exchange with a peer's `ariadne serve` over HTTP (docs/federation.md
 * "Transport"), the one code path of `ariadne sync PEER` and of `ariadne serve --sync-every`:
 * push this instance's bundle for the peer (POST /v1/fed/changes; made into a temporary file
 * and sent from there in requests the peer takes: push.c), then pull the peer's bundle
 * for this instance (GET /v1/fed/changes, signed with this instance's key) into a temporary
 * file and import it from there, verified whole (a pulled bundle is not held in memory). libcurl; the caller initialises it (curl_global_init) once per process. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/util.h"
#include "fed_int.h"

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

typedef struct {
    int (*fn)(void *);
    void *ctx;
} cancel_cb;

static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    const cancel_cb *cc = ctx;
    return cc->fn && cc->fn(cc->ctx) ? 1 : 0;
}

/* libcurl sending a chunk again (a connection re-used and lost before the answer) */
static int on_seek(void *ctx, curl_off_t off, int origin)
{
    if (off != 0 || origin != SEEK_SET)
        return CURL_SEEKFUNC_CANTSEEK;
    ad_fed_chunk_rewind(ctx);
    return CURL_SEEKFUNC_OK;
}

/* One request; the answer's body into *out, the bodies' bytes added to r. Returns the HTTP
 * status, or -1 with err. */
static long http(const char *url, ad_fed_chunker *post, int64_t len, const cancel_cb *cancel,
                 body *out, ad_fed_sync_result *r, ad_err *err)
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
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* safe on any thread */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)cancel);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (post) {
        h = curl_slist_append(h, "Content-Type: application/octet-stream");
        /* always ask first: a peer that takes less answers 413 before the body is sent; sent
         * anyway (libcurl asks only past 1 MiB), the peer closes mid-body and the 413 may be
         * lost to a failed send */
        struct curl_slist *e = h ? curl_slist_append(h, "Expect: 100-continue") : NULL;
        if (e)
            h = e;
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, ad_fed_chunk_read);
        curl_easy_setopt(c, CURLOPT_READDATA, post);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, post);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode cc = curl_easy_perform(c);
    long status = -1;
    curl_off_t up = 0, down = 0;
    if (curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK)
        r->bytes_up += (int64_t)up;
    if (curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &down) == CURLE_OK)
        r->bytes_down += (int64_t)down;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        ad_err_set(err, AD_ERR_IO, "%s: %s", url,
                   cc == CURLE_ABORTED_BY_CALLBACK ? "cancelled" : curl_easy_strerror(cc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* The request size peer `name` took after refusing a larger one (HTTP 413), remembered for a
 * day (then the full size is tried again: a peer may have raised its --max-body): *budget
 * left as it is when none. */
#define PUSH_MAX_KEEP (24 * 3600)
static ad_code push_max_get(ad_store *st, const char *name, size_t *budget, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT push_max FROM fed_peer WHERE name = ? AND push_max > 0"
                            " AND push_max_at > ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, name);
    ad_bind_int(s, 2, ad_store_time() - PUSH_MAX_KEEP);
    int k = ad_step(s, err);
    if (k > 0 && ad_col_int(s, 0) < (int64_t)*budget)
        *budget = (size_t)ad_col_int(s, 0);
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

static ad_code push_max_put(ad_store *st, const char *name, size_t budget, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "UPDATE fed_peer SET push_max = ?, push_max_at = ? WHERE name = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, (int64_t)budget);
    ad_bind_int(s, 2, ad_store_time());
    ad_bind_text(s, 3, name);
    return ad_db_run(s, err);
}

/* A problem document's detail, else the status. */
static ad_code http_error(ad_err *err, const char *what, long status, const body *b)
{
    json_t *j = b->n ? json_loadb((const char *)b->p, b->n, 0, NULL) : NULL;
    const char *d = json_string_value(json_object_get(j, "detail"));
    ad_err_set(err, AD_ERR_IO, "%s: HTTP %ld%s%s", what, status, d ? ": " : "", d ? d : "");
    json_decref(j);
    return AD_ERR_IO;
}

ad_code ad_fed_sync(ad_store *st, const ad_fed_key *key, const char *peer, int all,
                    int (*cancel)(void *), void *cancel_ctx, ad_fed_sync_result *r, ad_err *err)
{
    memset(r, 0, sizeof *r);
    peer_find pf = {.want = peer};
    ad_code rc = ad_fed_peer_list(st, find_peer, &pf, err);
    if (rc != AD_OK)
        return rc;
    if (!pf.found)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no peer '%s' ('ariadne peer list')", peer);
    if (!pf.url[0])
        return ad_err_set(err, AD_ERR_ARG, "peer '%s' has no URL: use bundles", peer);
    cancel_cb cc = {cancel, cancel_ctx};
    char url[1300];
    /* push: the bundle made into a temporary file, sent in chunks the peer takes */
    r->stage = AD_FED_SYNC_PUSH;
    FILE *bf = ad_tmpfile(err);
    if (!bf)
        return AD_ECODE(err);
    rc = ad_fed_bundle_export_file(st, key, peer, all, bf, &r->sent, err);
    ad_fed_chunker *ch = NULL;
    if (rc == AD_OK)
        rc = ad_fed_chunker_open(bf, key, &ch, err);
    snprintf(url, sizeof url, "%s/v1/fed/changes", pf.url);
    body b = {0};
    size_t budget = ad_fed_push_max, first = 0;
    if (rc == AD_OK)
        rc = push_max_get(st, peer, &budget, err);
    first = budget;
    while (rc == AD_OK && !ad_fed_chunker_done(ch)) {
        int64_t len;
        size_t nsets;
        rc = ad_fed_chunk_make(ch, budget, &len, &nsets, err);
        if (rc != AD_OK)
            break;
        long status = http(url, ch, len, &cc, &b, r, err);
        r->requests++;
        if (status == 413)
            r->refused++;
        if (status == 413 && nsets > 1) { /* the peer takes less: the same entries, fewer a time */
            budget = (size_t)len / 2;
        } else if (status == 413) {
            http_error(err, "push", status, &b);
            rc = ad_err_set(err, AD_ERR_IO,
                            "push: a change set of %lld bytes is more than peer '%s' takes in "
                            "one request (HTTP 413): raise its --max-body, or exchange by bundle "
                            "file",
                            (long long)len, peer);
        } else if (status != 200) {
            if (status >= 0)
                http_error(err, "push", status, &b);
            rc = AD_ERR_IO;
        } else {
            ad_fed_chunk_sent(ch);
            /* taken after a refusal: the size to start from next time */
            if (budget < first && (rc = push_max_put(st, peer, budget, err)) == AD_OK)
                first = budget;
        }
        free(b.p);
        memset(&b, 0, sizeof b);
    }
    ad_fed_chunker_free(ch);
    fclose(bf);
    if (rc != AD_OK)
        return rc;
    /* pull */
    r->stage = AD_FED_SYNC_PULL;
    char me[AD_FED_PUBKEY_HEX + 1], sig[129];
    int64_t t = (int64_t)time(NULL);
    ad_hex_encode(key->pk, 32, me);
    ad_fed_pull_sign(key, pf.pub, t, sig);
    snprintf(url, sizeof url, "%s/v1/fed/changes?peer=%s&t=%lld&sig=%s%s", pf.url, me,
             (long long)t, sig, all ? "&all=true" : "");
    b.f = ad_tmpfile(err); /* verified from there, then applied from there */
    if (!b.f)
        return AD_ECODE(err);
    long status = http(url, NULL, 0, &cc, &b, r, err);
    r->pulls++;
    int ok = status == 200 && fflush(b.f) == 0 && !ferror(b.f);
    rewind(b.f);
    if (!ok) {
        FILE *f = b.f;
        b.f = NULL;
        if (status == 200) {
            ad_err_set(err, AD_ERR_IO, "cannot write the pulled bundle to a temporary file");
        } else if (status >= 0) { /* the problem document: the start of what came */
            uint8_t part[65536];
            on_data((char *)part, 1, fread(part, 1, sizeof part, f), &b);
            http_error(err, "pull", status, &b);
        }
        fclose(f);
        free(b.p);
        return AD_ERR_IO;
    }
    rc = ad_fed_bundle_import_file(st, b.f, &r->got, err);
    fclose(b.f);
    if (rc == AD_OK)
        r->stage = AD_FED_SYNC_DONE;
    return rc;
}
