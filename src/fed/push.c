/* push.c: a bundle pushed to a peer in requests of bounded size (docs/federation.md
 * "Transport"). The bundle for the peer is made once into a temporary file (its cursor moves
 * once, as for a bundle file); it is then sent as one or more bundles ("chunks"), each the
 * same manifest (sender, head, witness, created) over a run of its consecutive entries,
 * signed again by this instance, followed by those sets' bytes read from the file as they go
 * out: nothing of it is held in memory but the manifest. Chunks go in order, so each origin's
 * run stays contiguous at the receiver, which verifies and applies each whole, as a bundle. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

#define MAX_MANIFEST ((size_t)64 << 20) /* as the reader takes (bundle_in.c) */

size_t ad_fed_push_max = (size_t)8 << 20; /* the server's default --max-body */

typedef struct entry {
    json_t *j;
    size_t canon; /* length of its canonical form */
    int64_t len;  /* its bytes in the file (0: a withheld place) */
    int64_t off;  /* where they start */
} entry;

struct ad_fed_chunker {
    FILE *f;
    const ad_fed_key *key;
    json_t *manifest; /* without its sets */
    size_t base;      /* canonical length of the manifest with no sets, newline included */
    entry *e;
    size_t n, at;     /* entries; the first not sent yet */
    size_t made_to;   /* the chunk made covers entries [at, made_to) */
    int sent_one;     /* a chunk went (an empty bundle still goes once: head and witness) */
    /* the chunk being read out: manifest line, the file's range, signature line */
    char *line, sig[160];
    size_t line_len, sig_len;
    int64_t range_off, range_len, pos; /* pos: bytes of the chunk read so far */
};

void ad_fed_chunker_free(ad_fed_chunker *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        json_decref(c->e[i].j);
    free(c->e);
    json_decref(c->manifest);
    free(c->line);
    free(c);
}

static size_t canon_len(const json_t *v)
{
    char *s = ad_fed_canon(v);
    size_t n = s ? strlen(s) : 0;
    free(s);
    return n;
}

ad_code ad_fed_chunker_open(FILE *f, const ad_fed_key *key, ad_fed_chunker **out, ad_err *err)
{
    *out = NULL;
    ad_fed_chunker *c = calloc(1, sizeof *c);
    if (!c)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    c->f = f;
    c->key = key;
    /* the manifest line (this instance's own: read back, not verified) */
    char *line = NULL;
    size_t cap = 0;
    rewind(f);
    ssize_t n = getline(&line, &cap, f);
    ad_code rc = AD_OK;
    json_t *sets = NULL;
    if (n <= 0 || (size_t)n > MAX_MANIFEST || line[n - 1] != '\n')
        rc = ad_err_set(err, AD_ERR_INTERNAL, "the bundle made for the push has no manifest");
    else if (!(c->manifest = json_loadb(line, (size_t)n - 1, 0, NULL)) ||
             !json_is_array(sets = json_object_get(c->manifest, "sets")))
        rc = ad_err_set(err, AD_ERR_INTERNAL, "the bundle made for the push has a bad manifest");
    free(line);
    int64_t off = n > 0 ? n : 0;
    if (rc == AD_OK && !(c->e = calloc(json_array_size(sets) + 1, sizeof *c->e)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == AD_OK && i < json_array_size(sets); i++) {
        entry *e = &c->e[c->n++];
        e->j = json_incref(json_array_get(sets, i));
        e->canon = canon_len(e->j);
        json_t *len = json_object_get(e->j, "len");
        e->len = json_is_true(json_object_get(e->j, "withheld")) ? 0 : json_integer_value(len);
        e->off = off;
        off += e->len;
        if (!e->canon || e->len < 0)
            rc = ad_err_set(err, AD_ERR_INTERNAL, "the bundle made for the push has a bad entry");
    }
    if (rc == AD_OK) {
        json_t *empty = json_array();
        if (!empty || json_object_set_new(c->manifest, "sets", empty))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        else if (!(c->base = canon_len(c->manifest)))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        c->base += 1;
    }
    if (rc != AD_OK) {
        ad_fed_chunker_free(c);
        return rc;
    }
    *out = c;
    return AD_OK;
}

int ad_fed_chunker_done(const ad_fed_chunker *c)
{
    return c->sent_one && c->at == c->n;
}

ad_code ad_fed_chunk_make(ad_fed_chunker *c, size_t budget, int64_t *len, size_t *nsets,
                          ad_err *err)
{
    uint8_t sig[64];
    char sh[129];
    /* the signature line has a fixed length: measured on a dummy */
    size_t sig_len = (size_t)snprintf(c->sig, sizeof c->sig, "{\"sig\":\"%0128d\"}\n", 0);
    int64_t total = (int64_t)(c->base + sig_len);
    size_t to = c->at;
    while (to < c->n) {
        int64_t more = (int64_t)c->e[to].canon + (to > c->at ? 1 : 0) + c->e[to].len;
        if (to > c->at && total + more > (int64_t)budget)
            break; /* at least one entry a chunk, whatever its size */
        total += more;
        to++;
    }
    json_t *sets = json_array();
    for (size_t i = c->at; sets && i < to; i++)
        if (json_array_append(sets, c->e[i].j)) {
            json_decref(sets);
            sets = NULL;
        }
    char *canon = sets && !json_object_set_new(c->manifest, "sets", sets)
                      ? ad_fed_canon(c->manifest)
                      : NULL;
    free(c->line);
    c->line = canon ? realloc(canon, strlen(canon) + 2) : NULL;
    if (!c->line) {
        free(canon);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    c->line_len = strlen(c->line);
    memcpy(c->line + c->line_len++, "\n", 2);
    ad_fed_sign(c->key, AD_FED_BUNDLE_CONTEXT, (const uint8_t *)c->line, c->line_len, sig);
    c->sig_len = (size_t)snprintf(c->sig, sizeof c->sig, "{\"sig\":\"%s\"}\n",
                                  ad_hex_encode(sig, 64, sh));
    c->range_off = to > c->at ? c->e[c->at].off : 0;
    c->range_len = to > c->at ? c->e[to - 1].off + c->e[to - 1].len - c->range_off : 0;
    c->pos = 0;
    c->made_to = to;
    *nsets = to - c->at;
    *len = (int64_t)(c->line_len + c->sig_len) + c->range_len;
    return AD_OK;
}

void ad_fed_chunk_rewind(ad_fed_chunker *c)
{
    c->pos = 0;
}

void ad_fed_chunk_sent(ad_fed_chunker *c)
{
    c->at = c->made_to;
    c->sent_one = 1;
}

size_t ad_fed_chunk_read(char *buf, size_t size, size_t nmemb, void *ctx)
{
    ad_fed_chunker *c = ctx;
    size_t want = size * nmemb, done = 0;
    int64_t end_line = (int64_t)c->line_len, end_range = end_line + c->range_len,
            end = end_range + (int64_t)c->sig_len;
    while (done < want && c->pos < end) {
        size_t n;
        if (c->pos < end_line) {
            n = (size_t)(end_line - c->pos) < want - done ? (size_t)(end_line - c->pos) : want - done;
            memcpy(buf + done, c->line + c->pos, n);
        } else if (c->pos < end_range) {
            int64_t at = c->range_off + (c->pos - end_line);
            n = (size_t)(end_range - c->pos) < want - done ? (size_t)(end_range - c->pos)
                                                            : want - done;
            if (fseeko(c->f, at, SEEK_SET) || fread(buf + done, 1, n, c->f) != n)
                return CURL_READFUNC_ABORT;
        } else {
            n = (size_t)(end - c->pos) < want - done ? (size_t)(end - c->pos) : want - done;
            memcpy(buf + done, c->sig + (c->pos - end_range), n);
        }
        done += n;
        c->pos += (int64_t)n;
    }
    return done;
}
