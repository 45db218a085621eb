/* cmd_similar.c: `ariadne similar`: the known media that share content with a picture (local
 * features, docs/features.md): copies (crop, tilt, re-share, border) and the same scene, each
 * with its consistent matches and matched region; `--build` gives media already in the store
 * their features from their files. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "ariadne/features.h"
#include "ariadne/hash.h"
#include "ariadne/util.h"
#include "cli.h"
#include "features/fstore.h"
#include "features/keyframes.h"
#include "features/pdqnear.h"

static const char usage[] =
    "similar FILE|HASH [--limit N] [--candidates N] [--json]\n"
    "   or: ariadne similar --build PATH... [--json]\n"
    "\n"
    "Lists the known media that share content with a picture: copies (cropped, tilted, re-shared,\n"
    "bordered) and pictures of the same scene, found by local features (keypoints on a 512-pixel\n"
    "greyscale reduction, an index of visual words, a geometric check). FILE is an image or a\n"
    "video file (a video is searched by up to 8 distinct frames, its keyframes: a copy when two of\n"
    "them are copies of the same known media, or one with 30 consistent matches or more, or its\n"
    "only one); HASH a media of the store (MD5, SHA-1, SHA-256, id:N) whose features or keyframes\n"
    "are stored. Each result\n"
    "names the kind (copy or scene), how a copy differs (crop, tilt, border, re-share), the\n"
    "consistent matches and the matched region in the known picture and in the query (fractions\n"
    "of width and height: x0,y0,x1,y1).\n"
    "Media get features when ingest adds them; --build gives them to media already in the store\n"
    "from their files: each PATH (file or folder) is read, and an image or video whose SHA-256 is\n"
    "a known media without features gets them (a video: its keyframes).\n"
    "  --limit N        at most N results, 1..1000 (default 20)\n"
    "  --candidates N   index candidates checked, 1..10000 (default 64)\n"
    "  --build          compute features for known media from files (PATH...)\n"
    "Exit status: 0 something shares content (--build: all done), 1 nothing does (or an error),\n"
    "2 usage error.";

typedef struct {
    uint8_t *data;
    size_t len;
} bytes;

static ad_code read_file(const char *path, bytes *b, ad_err *err)
{
    ad_limits l;
    ad_limits_default(&l);
    b->data = NULL;
    b->len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ad_err_set(err, AD_ERR_IO, "cannot open %s", path);
    struct stat s;
    if (fstat(fileno(f), &s) || !S_ISREG(s.st_mode)) {
        fclose(f);
        return ad_err_set(err, AD_ERR_IO, "%s is not a regular file", path);
    }
    if ((uint64_t)s.st_size > l.max_file_bytes) {
        fclose(f);
        return ad_err_set(err, AD_ERR_LIMIT, "%s is over %llu bytes", path,
                          (unsigned long long)l.max_file_bytes);
    }
    b->len = (size_t)s.st_size;
    b->data = malloc(b->len ? b->len : 1);
    ad_code rc = AD_OK;
    if (!b->data)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory for %s", path);
    else if (fread(b->data, 1, b->len, f) != b->len)
        rc = ad_err_set(err, AD_ERR_IO, "cannot read %s", path);
    fclose(f);
    if (rc) {
        free(b->data);
        b->data = NULL;
    }
    return rc;
}

/* The features of an image file: the query's (all AD_FEAT_DETECT points) in q. */
static ad_code file_features(ad_magic *m, const bytes *b, ad_features *q, ad_err *err)
{
    char mime[128];
    ad_media_type t = ad_media_probe(m, b->data, b->len, mime, sizeof mime);
    if (!ad_media_is_image(t))
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "not an image (%s)", mime);
    return ad_features_image(t, b->data, b->len, NULL, AD_FEAT_DETECT, q, err);
}

/* The query: a picture's features, or a video's keyframes (docs/features.md "Videos"). */
typedef struct {
    int video;
    ad_features f;
    ad_keyframes kf;
    const bytes *file;  /* a picture file's bytes: its denser points for the same scene */
    ad_media_type type; /* ... and its type */
} query;

static void query_free(query *q)
{
    ad_features_free(&q->f);
    ad_keyframes_free(&q->kf);
}

static ad_code file_query(ad_magic *m, const bytes *b, query *q, ad_err *err)
{
    char mime[128];
    q->type = ad_media_probe(m, b->data, b->len, mime, sizeof mime);
    q->file = b;
    if (q->type != AD_MEDIA_VIDEO)
        return file_features(m, b, &q->f, err);
    q->video = 1;
    ad_code rc = ad_keyframes_memory(b->data, b->len, NULL, &q->kf, err);
    if (rc == AD_OK && !q->kf.n)
        rc = ad_err_set(err, AD_ERR_UNSUPPORTED, "no frame of this video has enough texture");
    return rc;
}

static int get_sha(void *ctx, const ad_media *m)
{
    if (m->has_sha256)
        ad_hex_encode(m->sha256, 32, ctx);
    return 0;
}

static json_t *box_json(const double b[4])
{
    return json_pack("[f,f,f,f]", b[0], b[1], b[2], b[3]);
}

/* The features index file of a SQLite store: DB.features beside DB (docs/features.md "The index
 * file"); NULL for PostgreSQL (the index is built from the store at each call). */
static const char *index_file(const ad_args *a, char *buf, size_t cap)
{
    const char *url = ad_store_resolve_url(ad_arg(a, "--db"));
    if (!url || strncmp(url, "sqlite:", 7) || !url[7])
        return NULL;
    int n = snprintf(buf, cap, "%s.features", url + 7);
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

/* --build: known media get their features from the files under the paths */
typedef struct {
    ad_store *st;
    ad_magic *magic;
    size_t files, added, had, unknown, failed;
    int json;
} build_ctx;

static int build_one(void *p, const char *path, const struct stat *s, ad_code code,
                     const char *msg)
{
    build_ctx *c = p;
    if (code) {
        c->failed++;
        fprintf(stderr, "ariadne similar: %s: %s\n", path, msg);
        return 0;
    }
    if (!S_ISREG(s->st_mode))
        return 0;
    c->files++;
    bytes b;
    ad_err err;
    ad_digests d;
    int64_t id = 0;
    ad_code rc = read_file(path, &b, &err);
    if (rc == AD_OK)
        rc = ad_digest_buffer(b.data, b.len, &d, &err);
    if (rc == AD_OK) {
        rc = ad_store_media_find(c->st, AD_HASH_SHA256, d.sha256, &id, &err);
        if (rc == AD_ERR_NOT_FOUND) {
            c->unknown++;
            free(b.data);
            return 0;
        }
    }
    if (rc == AD_OK && (ad_feat_store_has(c->st, id) || ad_kf_store_has(c->st, id))) {
        c->had++;
        free(b.data);
        return 0;
    }
    query q = {0}; /* a picture's features, or a video's keyframes */
    if (rc == AD_OK)
        rc = file_query(c->magic, &b, &q, &err);
    free(b.data);
    if (rc == AD_OK && q.video) {
        rc = ad_kf_store_put(c->st, id, &q.kf, &err);
    } else if (rc == AD_OK) {
        ad_features_keep(&q.f, AD_FEAT_STORED);
        uint8_t blob[AD_FEAT_BLOB_MAX];
        ad_feat_row row = {id, blob, ad_features_encode(&q.f, blob, sizeof blob)};
        rc = ad_feat_store_put(c->st, &row, 1, &err);
    }
    query_free(&q);
    if (rc) {
        c->failed++;
        fprintf(stderr, "ariadne similar: %s: %s\n", path, err.msg);
    } else {
        c->added++;
    }
    return 0;
}

static int build(const ad_args *a, ad_store *st)
{
    build_ctx c = {.st = st, .json = a->json};
    ad_err err;
    if (ad_magic_open(&c.magic, &err))
        return ad_cli_close(st, ad_cli_fail(a, &err));
    for (int i = 0; i < a->npos; i++)
        if (ad_walk(a->pos[i], build_one, &c, &err)) {
            fprintf(stderr, "ariadne similar: %s: %s\n", a->pos[i], err.msg);
            c.failed++;
        }
    ad_magic_close(c.magic);
    if (a->json)
        ad_cli_json(json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "mode", "build", "files",
                              (json_int_t)c.files, "added", (json_int_t)c.added, "had",
                              (json_int_t)c.had, "unknown", (json_int_t)c.unknown, "failed",
                              (json_int_t)c.failed));
    else
        printf("files %zu: features added %zu, already there %zu, not known media %zu, failed "
               "%zu\n",
               c.files, c.added, c.had, c.unknown, c.failed);
    return ad_cli_close(st, c.failed ? AD_EXIT_FAIL : AD_EXIT_OK);
}

/* A picture file's denser points (ad_feat_similar_dense: the same scene looked for again). */
static int dense_points(void *ctx, ad_features *out)
{
    const query *q = ctx;
    return q->file && ad_media_is_image(q->type) &&
                   ad_features_image(q->type, q->file->data, q->file->len, NULL, AD_FEAT_DENSE,
                                     out, NULL) == AD_OK
               ? 0
               : -1;
}

/* A picture's findings, or a video's gathered per known media (ad_kf_similar). */
static ad_code search(ad_store *st, const ad_feat_index *ix, const query *q, int64_t self,
                      size_t candidates, ad_kf_found *out, size_t max, size_t *found,
                      ad_err *err)
{
    if (q->video)
        return ad_kf_similar(st, ix, &q->kf, self, candidates, out, max, found, err);
    ad_feat_found *f = calloc(max, sizeof *f);
    if (!f)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = ad_feat_similar_dense(st, ix, &q->f, q->file ? dense_points : NULL, (void *)q,
                                       self, candidates, f, max, found, err);
    for (size_t i = 0; rc == AD_OK && i < *found; i++)
        out[i] = (ad_kf_found){.best = f[i], .copies = f[i].m.kind == AD_FEAT_COPY, .hits = 1};
    free(f);
    return rc;
}

/* A video's evidence: the known video's keyframe (frame, seconds), the query's keyframes. */
static void video_json(ad_store *st, json_t *o, const query *q, const ad_kf_found *r)
{
    int64_t frame, ms;
    if (r->best.keyframe >= 0 &&
        ad_kf_store_frame(st, ad_kf_key(r->best.media_id, r->best.keyframe), &frame, &ms,
                          NULL) == AD_OK) {
        json_object_set_new(o, "known_frame", json_integer((json_int_t)frame));
        json_object_set_new(o, "known_time", json_real((double)ms / 1000.0));
    }
    if (q->video) {
        json_object_set_new(o, "query_time", json_real(r->query_time));
        json_object_set_new(o, "keyframes", json_pack("{s:i,s:i,s:i}", "copies", r->copies,
                                                      "hits", r->hits, "of", r->of));
    }
}

int ad_cmd_similar(int argc, char **argv)
{
    static const char *const opts[] = {"--limit", "--candidates", NULL};
    int do_build = ad_args_take_flag(&argc, argv, "--build");
    ad_args a;
    ad_store *st;
    int rc = ad_args_parse(&a, "similar", usage, argc, argv, opts, 1, do_build ? AD_ARGS_MAX : 1);
    if (rc >= 0)
        return rc;
    int limit = 20, candidates = 64;
    if ((rc = ad_arg_int(&a, "--limit", 1, 1000, &limit)) ||
        (rc = ad_arg_int(&a, "--candidates", 1, 10000, &candidates)))
        return rc;
    if ((rc = ad_cli_open(&a, &st, 0)) >= 0)
        return rc;
    if (do_build)
        return build(&a, st);
    ad_err err;
    query q = {0};
    int64_t self = 0;
    struct stat sb;
    bytes b = {0}; /* a file's: the PDQ-guided check reads them again */
    if (stat(a.pos[0], &sb) == 0) { /* a file */
        ad_magic *m = NULL;
        ad_code c = read_file(a.pos[0], &b, &err);
        if (c == AD_OK && (c = ad_magic_open(&m, &err)) == AD_OK)
            c = file_query(m, &b, &q, &err);
        ad_magic_close(m);
        if (c) {
            free(b.data);
            ad_cli_error("similar", "%s: %s", a.pos[0], err.msg);
            query_free(&q); /* a video's frames held before it was refused */
            return ad_cli_close(st, AD_EXIT_FAIL);
        }
    } else { /* a media of the store */
        size_t hl = strspn(a.pos[0], "0123456789abcdefABCDEF");
        if (a.pos[0][hl] && !strchr(a.pos[0], ':')) {
            ad_cli_error("similar", "%s: no such file (and not a hash)", a.pos[0]);
            return ad_cli_close(st, AD_EXIT_FAIL);
        }
        if ((rc = ad_cli_media(&a, st, a.pos[0], &self)) >= 0)
            return ad_cli_close(st, rc);
        q.video = ad_kf_store_has(st, self);
        if (q.video ? ad_kf_store_read(st, self, &q.kf, &err)
                    : ad_feat_store_get(st, self, &q.f, &err)) {
            ad_cli_error("similar", "%s: %s (ariadne similar --build with its file gives it them)",
                         a.pos[0], err.msg);
            return ad_cli_close(st, AD_EXIT_FAIL);
        }
    }
    ad_feat_index *ix = NULL;
    size_t found = 0, damaged = 0;
    ad_kf_found *res = calloc((size_t)limit, sizeof *res);
    char ixpath[4200];
    ad_feat_load how;
    ad_code c = res ? AD_OK : ad_err_set(&err, AD_ERR_NOMEM, "out of memory");
    if (c == AD_OK)
        c = ad_feat_store_load_file(st, index_file(&a, ixpath, sizeof ixpath), &ix, &how, &err);
    damaged = how.damaged;
    if (c == AD_OK)
        c = search(st, ix, &q, self, (size_t)candidates, res, (size_t)limit, &found, &err);
    int near_bits = -1; /* a picture file no copy was found for: the PDQ-guided check */
    if (c == AD_OK && b.data && !q.video && !(found && res[0].best.m.kind == AD_FEAT_COPY)) {
        ad_feat_found nf;
        c = ad_feat_near_file(st, b.data, b.len, &nf, &near_bits, &err);
        if (c == AD_OK && near_bits >= 0) { /* first: a copy */
            size_t keep = found < (size_t)limit ? found : (size_t)limit - 1;
            memmove(&res[1], &res[0], keep * sizeof *res);
            res[0] = (ad_kf_found){.best = nf, .copies = 1, .hits = 1};
            found = keep + 1;
        }
    }
    free(b.data);
    if (c == AD_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "query=%s found=%zu",
                 self ? "media" : "file", found);
        char obj[48];
        snprintf(obj, sizeof obj, "media:%lld", (long long)self);
        c = ad_store_audit_read(st, "media.similar", self ? obj : "file", detail, &err);
    }
    if (c) {
        free(res);
        ad_feat_index_free(ix);
        query_free(&q);
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    }
    if (damaged)
        fprintf(stderr, "ariadne similar: %zu damaged feature rows were left out\n", damaged);
    json_t *list = json_array();
    if (!a.json && found)
        printf("%-8s %-64s %-6s %-18s %7s  %-23s  %s\n", "media", "sha256", "kind", "how",
               "matches", "region in known", "region in query");
    for (size_t i = 0; i < found; i++) {
        char sha[65] = "", how[64];
        ad_store_media_get(st, res[i].best.media_id, get_sha, sha, NULL);
        ad_feat_match m = res[i].best.m;
        if (q.video)
            m.kind = ad_kf_kind(&res[i]);
        ad_feat_how(&m, how, sizeof how);
        if (i == 0 && near_bits >= 0) /* as triage records it */
            snprintf(how + strlen(how), sizeof how - strlen(how), ", PDQ-guided %d bits",
                     near_bits);
        if (a.json) {
            json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:o,s:o,s:f,s:f,s:f}", "media_id",
                                  (json_int_t)res[i].best.media_id, "sha256", sha, "kind",
                                  ad_feat_kind_name(m.kind), "how", how, "inliers", m.inliers,
                                  "matches", m.matches, "region_known", box_json(m.box_known),
                                  "region_query", box_json(m.box_query), "scale", m.scale,
                                  "rotation", m.rotation, "coverage", m.coverage);
            video_json(st, o, &q, &res[i]);
            json_array_append_new(list, o);
        } else {
            printf("%-8lld %-64s %-6s %-18s %7d  %.2f,%.2f,%.2f,%.2f  %.2f,%.2f,%.2f,%.2f",
                   (long long)res[i].best.media_id, sha, ad_feat_kind_name(m.kind), how,
                   m.inliers, m.box_known[0], m.box_known[1], m.box_known[2], m.box_known[3],
                   m.box_query[0], m.box_query[1], m.box_query[2], m.box_query[3]);
            if (q.video)
                printf("  keyframes %d/%d", m.kind == AD_FEAT_COPY ? res[i].copies
                                                                   : res[i].hits, res[i].of);
            printf("\n");
        }
    }
    size_t points = q.video ? 0 : q.f.n;
    for (size_t i = 0; q.video && i < q.kf.n; i++)
        points += q.kf.k[i].f.n;
    if (a.json) {
        json_t *o = json_pack("{s:s,s:s,s:i,s:I,s:o}", "query", a.pos[0], "mode", "search",
                              "query_points", (int)points, "indexed",
                              (json_int_t)ad_feat_index_size(ix), "results", list);
        if (q.video)
            json_object_set_new(o, "query_keyframes", json_integer((json_int_t)q.kf.n));
        ad_cli_json(o);
    } else {
        json_decref(list);
        if (!found)
            printf("nothing known shares content with %s (%zu indexed media, %zu query points)\n",
                   a.pos[0], ad_feat_index_size(ix), points);
    }
    free(res);
    ad_feat_index_free(ix);
    query_free(&q);
    return ad_cli_close(st, found ? AD_EXIT_OK : AD_EXIT_FAIL);
}
