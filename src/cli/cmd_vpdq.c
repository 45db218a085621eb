/* cmd_vpdq.c: `ariadne vpdq`: vPDQ frame lists of videos (the reference's text format or JSON
 * Lines), and `ariadne vpdq match A B` between two videos or frame-list files. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "ariadne/vpdq.h"
#include "cli.h"

static const char *usage_text =
    "usage: ariadne vpdq [options] FILE...\n"
    "   or: ariadne vpdq match [options] A B\n"
    "\n"
    "Hashes videos with vPDQ (PDQ of sampled frames, compatible with Meta's vpdq-hash-video).\n"
    "With one FILE the output is its frame list, one line per hashed frame:\n"
    "  frameNumber,quality,pdqHex,timestamp\n"
    "With several, each list is preceded by a line '# FILE'. With -o DIR each list goes to\n"
    "DIR/<file name>.txt instead. 'match' compares two videos or frame-list files: A is the\n"
    "query, B the compared video.\n"
    "\n"
    "Hashing options:\n"
    "  --seconds-per-hash S  hash one frame every S seconds (default 1: frames 0, int(fps), ...)\n"
    "  --every-frame         hash every frame (the reference CLI's default, -r 0)\n"
    "  --resize N            hash frames scaled to NxN (the reference's -s N)\n"
    "  --time-limit S        give up on a file after S seconds (default 120, 0 = none)\n"
    "  --max-pixels N        refuse frames over N pixels (default 100000000)\n"
    "  --strict              fail a file at its first decode error (default: skip damage)\n"
    "  -j, --jobs N          files hashed in parallel (default: all cores)\n"
    "  -o, --output DIR      write one frame list per file into DIR\n"
    "  --json                JSON Lines: one object per file (or the match result)\n"
    "  -h, --help            this text\n"
    "\n"
    "Match options:\n"
    "  --distance D          frames match within Hamming distance D (default 31)\n"
    "  --quality Q           ignore frames of quality below Q (default 50)\n"
    "  --query-pct P         match needs P% of the query's frames matched (default 80)\n"
    "  --compared-pct P      ... and P% of the compared video's frames (default 0)\n"
    "  --rule pytx|cpp       pytx (default): distance <= D, identical hashes counted once;\n"
    "                        cpp: distance < D, every frame counted (match-hashes-brute)\n"
    "  --dihedral            also try the query's 8 rotations/flips (A must be a video)\n"
    "\n"
    "Exit status: 0 success, 1 a file failed, 2 usage error.\n";

struct job {
    const char *path;
    ad_vpdq_video v;
    ad_code rc;
    ad_err err;
};

struct config {
    ad_vpdq_opts opts;
    ad_vpdq_match_opts mopts;
    int json, threads;
    const char *outdir;
};

enum {
    OPT_SPH = 256,
    OPT_EVERY,
    OPT_RESIZE,
    OPT_TIME,
    OPT_PIXELS,
    OPT_STRICT,
    OPT_JSON,
    OPT_DIST,
    OPT_QUAL,
    OPT_QPCT,
    OPT_CPCT,
    OPT_RULE,
    OPT_DIHEDRAL,
};

static const struct option long_opts[] = {
    {"seconds-per-hash", required_argument, 0, OPT_SPH},
    {"every-frame", no_argument, 0, OPT_EVERY},
    {"resize", required_argument, 0, OPT_RESIZE},
    {"time-limit", required_argument, 0, OPT_TIME},
    {"max-pixels", required_argument, 0, OPT_PIXELS},
    {"strict", no_argument, 0, OPT_STRICT},
    {"json", no_argument, 0, OPT_JSON},
    {"distance", required_argument, 0, OPT_DIST},
    {"quality", required_argument, 0, OPT_QUAL},
    {"query-pct", required_argument, 0, OPT_QPCT},
    {"compared-pct", required_argument, 0, OPT_CPCT},
    {"rule", required_argument, 0, OPT_RULE},
    {"dihedral", no_argument, 0, OPT_DIHEDRAL},
    {"jobs", required_argument, 0, 'j'},
    {"output", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* "--name" of the option getopt returned as c. */
static const char *opt_name(int c, char *buf, size_t n)
{
    for (const struct option *o = long_opts; o->name; o++)
        if (o->val == c) {
            snprintf(buf, n, "--%s", o->name);
            return buf;
        }
    return "?";
}

/* Parses options into cfg; returns AD_EXIT_USAGE on a usage error (message printed), AD_EXIT_OK
 * after --help, -1 to go on. */
static int parse_opts(int argc, char **argv, struct config *cfg)
{
    int c;
    long long v = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hj:o:", long_opts, NULL)) != -1) {
        char name[40];
        const char *opt = opt_name(c, name, sizeof name);
        int bad = 0;
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return AD_EXIT_OK;
        case 'j':
            v = cfg->threads;
            bad = ad_cli_int("vpdq", "--jobs", optarg, 0, 1024, &v);
            cfg->threads = (int)v;
            break;
        case 'o':
            cfg->outdir = optarg;
            break;
        case OPT_SPH:
            bad = ad_cli_real("vpdq", opt, optarg, 0, 1e6, &cfg->opts.seconds_per_hash);
            break;
        case OPT_EVERY:
            cfg->opts.seconds_per_hash = 0;
            break;
        case OPT_RESIZE:
            v = cfg->opts.resize;
            bad = ad_cli_int("vpdq", opt, optarg, AD_PDQ_MIN_DIM, 8192, &v);
            cfg->opts.resize = (int)v;
            break;
        case OPT_TIME:
            bad = ad_cli_real("vpdq", opt, optarg, 0, 1e7, &cfg->opts.limits.time_limit);
            break;
        case OPT_PIXELS:
            v = cfg->opts.limits.max_pixels;
            bad = ad_cli_int("vpdq", opt, optarg, 0, 1000000000000LL, &v);
            cfg->opts.limits.max_pixels = (int64_t)v;
            break;
        case OPT_STRICT:
            cfg->opts.limits.strict = 1;
            break;
        case OPT_JSON:
            cfg->json = 1;
            break;
        case OPT_DIST:
            v = cfg->mopts.distance;
            bad = ad_cli_int("vpdq", opt, optarg, 0, 256, &v);
            cfg->mopts.distance = (int)v;
            break;
        case OPT_QUAL:
            v = cfg->mopts.quality;
            bad = ad_cli_int("vpdq", opt, optarg, 0, 101, &v);
            cfg->mopts.quality = (int)v;
            break;
        case OPT_QPCT:
            bad = ad_cli_real("vpdq", opt, optarg, 0, 100, &cfg->mopts.query_pct);
            break;
        case OPT_CPCT:
            bad = ad_cli_real("vpdq", opt, optarg, 0, 100, &cfg->mopts.compared_pct);
            break;
        case OPT_RULE:
            if (!strcmp(optarg, "pytx"))
                cfg->mopts.rule = AD_VPDQ_RULE_PYTX;
            else if (!strcmp(optarg, "cpp"))
                cfg->mopts.rule = AD_VPDQ_RULE_CPP;
            else {
                ad_cli_error("vpdq", "--rule takes pytx or cpp, not '%s'", optarg);
                bad = AD_EXIT_USAGE;
            }
            break;
        case OPT_DIHEDRAL:
            cfg->mopts.dihedral = 1;
            break;
        default:
            return ad_cli_getopt_error("vpdq", c, argv);
        }
        if (bad)
            return AD_EXIT_USAGE;
    }
    return -1;
}

static json_t *frames_json(const ad_vpdq_video *v)
{
    json_t *a = json_array();
    char hex[AD_H256_HEX_LEN + 1];
    for (size_t i = 0; i < v->n; i++) {
        const ad_vpdq_frame *f = &v->frames[i];
        json_array_append_new(a,
                              json_pack("{s:I, s:i, s:s, s:f}", "frame",
                                        (json_int_t)f->frame_number, "quality", f->quality, "pdq",
                                        ad_h256_format(&f->hash, hex), "timestamp", f->timestamp));
    }
    return a;
}

static json_t *error_json(const ad_err *e)
{
    return json_pack("{s:s, s:s}", "code", ad_code_name(e->code), "message", e->msg);
}

static void print_json_line(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (s)
        puts(s);
    free(s);
    json_decref(o);
}

static json_t *video_json(const struct job *j)
{
    const ad_vpdq_video *v = &j->v;
    json_t *o = json_pack("{s:s}", "path", j->path);
    if (j->rc == AD_OK || v->partial) {
        json_object_set_new(o, "width", json_integer(v->width));
        json_object_set_new(o, "height", json_integer(v->height));
        json_object_set_new(o, "frame_rate", json_real(v->frame_rate));
        json_object_set_new(o, "duration", json_real(v->duration));
        json_object_set_new(o, "frame_count", json_integer(v->frame_count));
        json_object_set_new(o, "codec", json_string(v->codec));
        json_object_set_new(o, "frame_mod", json_integer(v->frame_mod));
        json_object_set_new(o, "damaged", json_integer(v->damaged));
        json_object_set_new(o, "partial", json_boolean(v->partial));
        json_object_set_new(o, "fast_path", json_boolean(v->fast_path));
        json_object_set_new(o, "frames", frames_json(v));
    }
    if (j->rc != AD_OK)
        json_object_set_new(o, "error", error_json(&j->err));
    return o;
}

static void report(const struct job *j)
{
    if (j->rc != AD_OK)
        ad_cli_error("vpdq", "%s: %s (%s)%s", j->path, j->err.msg, ad_code_name(j->rc),
                     j->v.partial ? "; frames before the error kept" : "");
    else if (j->v.damaged > 0)
        ad_cli_error("vpdq", "%s: warning: %lld damaged packets skipped", j->path,
                     (long long)j->v.damaged);
}

static int write_to_dir(const char *dir, const struct job *j)
{
    const char *base = strrchr(j->path, '/');
    base = base ? base + 1 : j->path;
    size_t n = strlen(dir) + strlen(base) + 6;
    char *out = malloc(n);
    if (!out)
        return -1;
    snprintf(out, n, "%s/%s.txt", dir, base);
    /* whole or not at all, like exports: a killed run leaves no truncated hash file */
    ad_file_replace f;
    ad_err err;
    ad_code c = ad_file_replace_open(&f, out, &err);
    if (c == AD_OK)
        c = ad_file_replace_end(&f, ad_vpdq_write(f.f, &j->v, &err), &err);
    if (c != AD_OK && strstr(err.msg, out))
        ad_cli_error("vpdq", "%s", err.msg);
    else if (c != AD_OK)
        ad_cli_error("vpdq", "cannot write %s: %s", out, err.msg);
    free(out);
    return c == AD_OK ? 0 : -1;
}

struct hash_ctx {
    struct job *jobs;
    const ad_vpdq_opts *opts;
};

static void hash_one(void *ctx, size_t i, int worker)
{
    (void)worker;
    struct hash_ctx *h = ctx;
    struct job *j = &h->jobs[i];
    j->rc = ad_vpdq_hash_file(j->path, h->opts, &j->v, &j->err);
}

static int cmd_hash_files(struct config *cfg, int n, char **paths)
{
    struct job *jobs = calloc((size_t)n, sizeof *jobs);
    if (!jobs)
        return AD_EXIT_FAIL;
    for (int i = 0; i < n; i++)
        jobs[i].path = paths[i];
    struct hash_ctx h = {jobs, &cfg->opts};
    ad_err err;
    /* the folder of the frame lists is made (private) when missing */
    if (cfg->outdir && ad_dir_create_private(cfg->outdir, &err) != AD_OK) {
        ad_cli_error("vpdq", "%s", err.msg);
        free(jobs);
        return AD_EXIT_FAIL;
    }
    if (ad_parallel_for((size_t)n, cfg->threads, hash_one, &h, &err) != AD_OK) {
        ad_cli_error("vpdq", "%s", err.msg);
        free(jobs);
        return AD_EXIT_FAIL;
    }
    int status = AD_EXIT_OK;
    for (int i = 0; i < n; i++) {
        struct job *j = &jobs[i];
        report(j);
        if (j->rc != AD_OK)
            status = AD_EXIT_FAIL;
        if (cfg->json)
            print_json_line(video_json(j));
        else if (j->rc == AD_OK || j->v.partial) {
            if (cfg->outdir) {
                if (write_to_dir(cfg->outdir, j) != 0)
                    status = AD_EXIT_FAIL;
            } else {
                if (n > 1)
                    printf("# %s\n", j->path);
                ad_vpdq_write(stdout, &j->v, NULL);
            }
        }
        ad_vpdq_video_free(&j->v);
    }
    free(jobs);
    return status;
}

/* A frame-list file is text whose first line parses; anything else is treated as a video. */
static int looks_like_frame_list(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    unsigned char buf[256];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t' && (buf[i] < 32 || buf[i] > 126))
            return 0;
    return (buf[0] >= '0' && buf[0] <= '9') || buf[0] == '#';
}

static ad_code load(const char *path, const struct config *cfg, int dihedral, ad_vpdq_video *v,
                    ad_err *err)
{
    memset(v, 0, sizeof *v);
    if (looks_like_frame_list(path)) {
        if (dihedral)
            return ad_err_set(err, AD_ERR_ARG,
                              "--dihedral needs a video as the query, not a "
                              "frame list");
        return ad_vpdq_read_file(path, v, err);
    }
    ad_vpdq_opts o = cfg->opts;
    o.want_dihedral = dihedral;
    return ad_vpdq_hash_file(path, &o, v, err);
}

static json_t *ranges_json(const ad_vpdq_range *r, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:f, s:f, s:I, s:I, s:I}", "start", r[i].start, "end",
                                           r[i].end, "first_frame", (json_int_t)r[i].first_frame,
                                           "last_frame", (json_int_t)r[i].last_frame, "frames",
                                           (json_int_t)r[i].frames));
    return a;
}

static void print_ranges(const char *name, const ad_vpdq_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s_range %.3f %.3f frames %lld-%lld (%zu matched)\n", name, r[i].start, r[i].end,
               (long long)r[i].first_frame, (long long)r[i].last_frame, r[i].frames);
}

static void print_match(const ad_vpdq_match_result *r, const char *a, const char *b, int json)
{
    if (json) {
        json_t *o =
            json_pack("{s:s, s:s, s:f, s:f, s:b, s:I, s:I, s:I, s:I, s:s}", "query", a, "compared",
                      b, "query_pct", r->query_pct, "compared_pct", r->compared_pct, "match",
                      r->match, "query_frames", (json_int_t)r->query_frames, "query_matched",
                      (json_int_t)r->query_matched, "compared_frames",
                      (json_int_t)r->compared_frames, "compared_matched",
                      (json_int_t)r->compared_matched, "variant", ad_pdq_variant_names[r->variant]);
        json_object_set_new(o, "query_ranges", ranges_json(r->query_ranges, r->n_query_ranges));
        json_object_set_new(o, "compared_ranges",
                            ranges_json(r->compared_ranges, r->n_compared_ranges));
        print_json_line(o);
        return;
    }
    printf("query %s\ncompared %s\n", a, b);
    printf("query_pct %.3f (%zu of %zu frames)\n", r->query_pct, r->query_matched, r->query_frames);
    printf("compared_pct %.3f (%zu of %zu frames)\n", r->compared_pct, r->compared_matched,
           r->compared_frames);
    printf("match %s\n", r->match ? "yes" : "no");
    printf("variant %s\n", ad_pdq_variant_names[r->variant]);
    print_ranges("query", r->query_ranges, r->n_query_ranges);
    print_ranges("compared", r->compared_ranges, r->n_compared_ranges);
}

static int cmd_match(struct config *cfg, const char *a, const char *b)
{
    ad_vpdq_video va, vb;
    ad_err err;
    ad_code rc = load(a, cfg, cfg->mopts.dihedral, &va, &err);
    if (rc != AD_OK) {
        ad_cli_error("vpdq", "%s: %s (%s)", a, err.msg, ad_code_name(rc));
        ad_vpdq_video_free(&va);
        return AD_EXIT_FAIL;
    }
    rc = load(b, cfg, 0, &vb, &err);
    if (rc != AD_OK) {
        ad_cli_error("vpdq", "%s: %s (%s)", b, err.msg, ad_code_name(rc));
        ad_vpdq_video_free(&va);
        ad_vpdq_video_free(&vb);
        return AD_EXIT_FAIL;
    }
    ad_vpdq_match_result r;
    rc = ad_vpdq_match(&va, &vb, &cfg->mopts, &r, &err);
    if (rc == AD_OK)
        print_match(&r, a, b, cfg->json);
    else
        ad_cli_error("vpdq", "match: %s (%s)", err.msg, ad_code_name(rc));
    ad_vpdq_match_result_free(&r);
    ad_vpdq_video_free(&va);
    ad_vpdq_video_free(&vb);
    return rc == AD_OK ? AD_EXIT_OK : AD_EXIT_FAIL;
}

int ad_cmd_vpdq(int argc, char **argv)
{
    struct config cfg = {0};
    ad_vpdq_opts_default(&cfg.opts);
    ad_vpdq_match_opts_default(&cfg.mopts);
    ad_cli_globals_after_sub(argc, argv);
    int match = argc > 1 && !strcmp(argv[1], "match");
    if (match) {
        argc--;
        argv++;
    }
    int p = parse_opts(argc, argv, &cfg);
    if (p >= 0)
        return p;
    int nargs = argc - optind;
    if (match ? nargs != 2 : nargs < 1) {
        ad_cli_error("vpdq",
                     match ? "match needs two files (try --help)" : "no FILE given (try --help)");
        return AD_EXIT_USAGE;
    }
    if (match)
        return cmd_match(&cfg, argv[optind], argv[optind + 1]);
    return cmd_hash_files(&cfg, nargs, argv + optind);
}
