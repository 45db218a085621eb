/* changeset.c: the change set's wire form (docs/federation.md): a header line, one line per
 * change, a signature line; canonical JSON (keys sorted, no spaces, ASCII); the id is the
 * SHA-256 of the header and change lines, signed by the origin with Ed25519. Encoding, and
 * reading with every check done before anything is applied. */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

#define MAX_LINE (1u << 20) /* a change line: far more than any record needs */
#define MAX_CHANGES 100000000

/* SHA-256 of a set's bytes: OpenSSL's, which uses the CPU's SHA instructions where there are
 * (several times libsodium's portable one on a large set); libsodium's if it fails. */
static void set_hash(const uint8_t *p, size_t n, uint8_t out[32])
{
    if (!EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL))
        crypto_hash_sha256(out, p, n);
}

static const char *const kinds[AD_FED_KINDS] = {"media", "series", "link",  "person", "vote",
                                                "note",  "clue",   "merge", "unlink"};

const char *ad_fed_kind_name(int i)
{
    return i >= 0 && i < AD_FED_KINDS ? kinds[i] : NULL;
}

int ad_fed_set_same(const ad_fed_set *set, const uint8_t *bytes, size_t len)
{
    uint8_t hash[32];
    char id[65];
    if (len != set->len || set->body_end >= len)
        return 0;
    set_hash(bytes, set->body_end, hash);
    ad_hex_encode(hash, 32, id);
    return !strcmp(id, set->id) &&
           !memcmp(bytes + set->body_end, set->sig_line, len - set->body_end);
}

int ad_fed_kind_known(const char *kind)
{
    for (int i = 0; kind && i < AD_FED_KINDS; i++)
        if (!strcmp(kind, kinds[i]))
            return i + 1;
    return 0;
}

int ad_fed_put(ad_fed_buf *b, const void *s, size_t n)
{
    if (n == 0)
        return 0;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

ad_code ad_fed_set_encode(const ad_fed_key *key, const char *origin, int64_t first,
                          const char *const *lines, size_t n, const char *prev, int64_t head_seq,
                          const char *head_hash, uint8_t **out, size_t *len, char id[65],
                          ad_err *err)
{
    ad_fed_buf b = {0};
    static const char room[AD_FED_HEADER_ROOM];
    int bad = ad_fed_put(&b, room, sizeof room);
    for (size_t i = 0; i < n && !bad; i++)
        bad = ad_fed_put(&b, lines[i], strlen(lines[i])) || ad_fed_put(&b, "\n", 1);
    size_t at = 0;
    ad_code rc = bad ? ad_err_set(err, AD_ERR_NOMEM, "out of memory encoding a change set")
                     : ad_fed_set_encode_room(key, origin, first, &b, n, prev, head_seq, head_hash,
                                              &at, id, err);
    if (rc != AD_OK) {
        free(b.p);
        return rc;
    }
    memmove(b.p, b.p + at, b.n - at);
    *out = (uint8_t *)b.p;
    *len = b.n - at;
    return AD_OK;
}

ad_code ad_fed_set_encode_room(const ad_fed_key *key, const char *origin, int64_t first,
                               ad_fed_buf *b, size_t n, const char *prev, int64_t head_seq,
                               const char *head_hash, size_t *at, char id[65], ad_err *err)
{
    char pk[AD_FED_PUBKEY_HEX + 1];
    ad_hex_encode(key->pk, 32, pk);
    json_t *h =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:{s:I, s:s}, s:I}", "format", AD_FED_SET_FORMAT,
                  "origin", origin, "origin_key", pk, "first", (json_int_t)first, "last",
                  (json_int_t)(first + (int64_t)n - 1), "prev",
                  prev && *prev ? json_string(prev) : json_null(), "audit_head", "seq",
                  (json_int_t)head_seq, "hash", head_hash, "created", (json_int_t)ad_store_time());
    char *hl = h ? ad_fed_canon(h) : NULL;
    json_decref(h);
    if (!hl)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory encoding a change set");
    size_t hn = strlen(hl);
    if (hn + 1 > AD_FED_HEADER_ROOM || b->n < AD_FED_HEADER_ROOM) {
        free(hl);
        return ad_err_set(err, AD_ERR_INTERNAL, "a change set's header does not fit its room");
    }
    /* the header and its newline just before the lines */
    *at = AD_FED_HEADER_ROOM - hn - 1;
    memcpy(b->p + *at, hl, hn);
    b->p[AD_FED_HEADER_ROOM - 1] = '\n';
    free(hl);
    uint8_t hash[32], sig[64];
    set_hash((const uint8_t *)b->p + *at, b->n - *at, hash);
    ad_hex_encode(hash, 32, id);
    ad_fed_sign(key, AD_FED_SET_CONTEXT, hash, sizeof hash, sig);
    char line[160], sh[129];
    snprintf(line, sizeof line, "{\"sig\":\"%s\"}\n", ad_hex_encode(sig, 64, sh));
    if (ad_fed_put(b, line, strlen(line)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory encoding a change set");
    return AD_OK;
}

/* One line of bytes[at..len): its end (the '\n'), or NULL when there is none. */
static const uint8_t *line_end(const uint8_t *bytes, size_t at, size_t len)
{
    return at < len ? memchr(bytes + at, '\n', len - at) : NULL;
}

/* Parses a line as JSON and checks it is in canonical form. */
static json_t *canon_line(const uint8_t *p, size_t n, const char *what, ad_err *err)
{
    json_error_t je;
    json_t *v =
        json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &je);
    if (!v || !json_is_object(v)) {
        json_decref(v);
        ad_err_set(err, AD_ERR_PARSE, "%s is not a JSON object", what);
        return NULL;
    }
    char *c = ad_fed_canon(v);
    int same = c && strlen(c) == n && !memcmp(c, p, n);
    free(c);
    if (!same) {
        json_decref(v);
        ad_err_set(err, AD_ERR_PARSE, "%s is not in canonical form", what);
        return NULL;
    }
    return v;
}

/* One change line: canonical (the strict reader, else the general parser), whether its seq is
 * `seq` and its kind a known one. */
static ad_code read_change(const uint8_t *p, size_t n, const char *what, int64_t seq, int *ok,
                           int *kind_ok, ad_err *err)
{
    ad_fed_member mem[32];
    int k = ad_fed_canon_scan((const char *)p, n, mem, 32);
    if (k >= 0) {
        const ad_fed_member *ms = ad_fed_member_get(mem, k, "seq");
        const ad_fed_member *mk = ad_fed_member_get(mem, k, "kind");
        int64_t v;
        char kind[16];
        *ok = ad_fed_member_int(ms, &v) && v == seq;
        if (mk && mk->type == 's' && mk->vlen < sizeof kind) {
            memcpy(kind, mk->val, mk->vlen);
            kind[mk->vlen] = 0;
            *kind_ok = ad_fed_kind_known(kind);
        }
        return AD_OK;
    }
    json_t *c = canon_line(p, n, what, err);
    if (!c)
        return AD_ECODE(err);
    json_t *js = json_object_get(c, "seq");
    *ok = json_is_integer(js) && json_integer_value(js) == seq;
    *kind_ok = ad_fed_kind_known(json_string_value(json_object_get(c, "kind")));
    json_decref(c);
    return AD_OK;
}

static int hex_field(const json_t *o, const char *k, size_t n, char *out)
{
    const char *s = json_string_value(json_object_get(o, k));
    uint8_t tmp[64];
    if (!s || strlen(s) != n || n > 128 || ad_hex_decode(s, n, tmp, n / 2, NULL) != AD_OK)
        return 0;
    if (out)
        memcpy(out, s, n + 1);
    return 1;
}

static ad_code read_header(ad_fed_set *set, json_t *h, ad_err *err)
{
    const char *fmt = json_string_value(json_object_get(h, "format"));
    const char *origin = json_string_value(json_object_get(h, "origin"));
    json_t *first = json_object_get(h, "first"), *last = json_object_get(h, "last");
    json_t *prev = json_object_get(h, "prev"), *head = json_object_get(h, "audit_head");
    if (!fmt || strcmp(fmt, AD_FED_SET_FORMAT))
        return ad_err_set(err, AD_ERR_VERSION, "not a change set of format %s", AD_FED_SET_FORMAT);
    if (!origin || strlen(origin) != AD_UUID_LEN ||
        strspn(origin, "0123456789abcdef-") != AD_UUID_LEN)
        return ad_err_set(err, AD_ERR_PARSE, "the change set's origin is not a UUID");
    if (!hex_field(h, "origin_key", 64, set->origin_key))
        return ad_err_set(err, AD_ERR_PARSE, "the change set's origin_key is not a public key");
    if (!json_is_integer(first) || !json_is_integer(last) || json_integer_value(first) < 1 ||
        json_integer_value(last) < json_integer_value(first) ||
        json_integer_value(last) - json_integer_value(first) >= MAX_CHANGES)
        return ad_err_set(err, AD_ERR_PARSE, "the change set's first and last are not a run");
    if (!(json_is_null(prev) || hex_field(h, "prev", 64, set->prev)))
        return ad_err_set(err, AD_ERR_PARSE, "the change set's prev is not a change set id");
    if (json_is_null(prev))
        set->prev[0] = 0;
    if (!json_is_object(head) || !json_is_integer(json_object_get(head, "seq")) ||
        !hex_field(head, "hash", 64, set->head_hash))
        return ad_err_set(err, AD_ERR_PARSE, "the change set's audit_head is not SEQ and HASH");
    set->head_seq = json_integer_value(json_object_get(head, "seq"));
    snprintf(set->origin, sizeof set->origin, "%s", origin);
    set->first = json_integer_value(first);
    set->last = json_integer_value(last);
    return AD_OK;
}

ad_code ad_fed_set_read(const uint8_t *bytes, size_t len, ad_fed_set *set, ad_err *err)
{
    memset(set, 0, sizeof *set);
    set->bytes = bytes;
    set->len = len;
    const uint8_t *e = line_end(bytes, 0, len);
    if (!e || (size_t)(e - bytes) > MAX_LINE)
        return ad_err_set(err, AD_ERR_CHECKSUM, "a change set ends before its header does");
    json_t *h = canon_line(bytes, (size_t)(e - bytes), "the change set's header", err);
    if (!h)
        return AD_ECODE(err);
    ad_code rc = read_header(set, h, err);
    json_decref(h);
    if (rc != AD_OK)
        return rc;
    /* the signature line is the last line; everything before it is hashed */
    if (len < 2 || bytes[len - 1] != '\n')
        return ad_err_set(err, AD_ERR_CHECKSUM, "change set %lld..%lld of origin %s is truncated",
                          (long long)set->first, (long long)set->last, set->origin);
    size_t sig_at = len - 1;
    while (sig_at > 0 && bytes[sig_at - 1] != '\n')
        sig_at--;
    char sighex[129];
    uint8_t sig[64], hash[32], pk[32];
    json_t *sl = sig_at > (size_t)(e - bytes)
                     ? canon_line(bytes + sig_at, len - 1 - sig_at, "the signature line", err)
                     : NULL;
    int sig_ok = sl && json_object_size(sl) == 1 && hex_field(sl, "sig", 128, sighex);
    json_decref(sl);
    if (!sig_ok)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "change set %lld..%lld of origin %s has no signature line (truncated?)",
                          (long long)set->first, (long long)set->last, set->origin);
    ad_hex_decode(sighex, 128, sig, 64, NULL);
    ad_hex_decode(set->origin_key, 64, pk, 32, NULL);
    set_hash(bytes, sig_at, hash);
    ad_hex_encode(hash, 32, set->id);
    if (!ad_fed_verify(pk, AD_FED_SET_CONTEXT, hash, sizeof hash, sig))
        return ad_err_set(err, AD_ERR_PERM,
                          "change set %s of origin %s: the signature does not match its content "
                          "and key (tampered or forged)",
                          set->id, set->origin);
    set->body_at = (size_t)(e - bytes) + 1;
    set->body_end = sig_at;
    if (len - sig_at > sizeof set->sig_line)
        return ad_err_set(err, AD_ERR_PARSE, "change set %s: its signature line is too long",
                          set->id);
    memcpy(set->sig_line, bytes + sig_at, len - sig_at);
    /* every change line: canonical, a known kind, its seq in turn */
    int64_t seq = set->first;
    size_t at = set->body_at;
    while (at < set->body_end) {
        const uint8_t *le = line_end(bytes, at, set->body_end);
        char what[64];
        snprintf(what, sizeof what, "change %lld", (long long)seq);
        if (!le || (size_t)(le - bytes - at) > MAX_LINE)
            return ad_err_set(err, AD_ERR_PARSE, "%s is too long or unterminated", what);
        int ok = 0, kind_ok = 0;
        ad_code rc = read_change(bytes + at, (size_t)(le - bytes) - at, what, seq, &ok, &kind_ok,
                                 err);
        if (rc != AD_OK)
            return rc;
        if (!ok || seq > set->last)
            return ad_err_set(err, AD_ERR_PARSE, "change set %s: line %lld is out of sequence",
                              set->id, (long long)(seq - set->first + 2));
        if (!kind_ok)
            return ad_err_set(err, AD_ERR_PARSE, "change set %s: %s is of no known kind", set->id,
                              what);
        set->kinds |= 1u << (kind_ok - 1);
        seq++;
        at = (size_t)(le - bytes) + 1;
    }
    if (seq != set->last + 1)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "change set %s has %lld changes, its header says %lld", set->id,
                          (long long)(seq - set->first), (long long)(set->last - set->first + 1));
    return AD_OK;
}

ad_code ad_fed_set_each(const ad_fed_set *set, ad_fed_change_fn fn, void *ctx, ad_err *err)
{
    size_t at = set->body_at;
    int64_t seq = set->first;
    while (at < set->body_end) {
        const uint8_t *le = line_end(set->bytes, at, set->body_end);
        ad_code rc = fn(ctx, (const char *)set->bytes + at, (size_t)(le - set->bytes) - at, seq++,
                        err);
        if (rc != AD_OK)
            return rc;
        at = (size_t)(le - set->bytes) + 1;
    }
    return AD_OK;
}
