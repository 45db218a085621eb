/* cmd_hash.c: `ariadne hash`: digests, type and PDQ of files and folders, hashed in parallel by
 * the library (ad_hashset_run) and printed in input order as a table, JSON Lines or CSV. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/hash.h"
#include "ariadne/hashset.h"
#include "ariadne/json.h"
#include "ariadne/util.h"
#include "ariadne/vpdq.h"
#include "cli.h"
#include "textout.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

/* the files to hash (paths and messages owned here); the hashing is the library's
 * (ad_hashset_run), the printing in input order this file's */
struct run {
    ad_hashset_item *items;
    size_t n, cap;
    ad_hash_opts opts;
    enum fmt fmt;
    int video; /* vPDQ for videos */
};

static const char usage_text[] =
    "usage: ariadne hash [options] PATH...\n"
    "\n"
    "Digests (MD5, SHA-1, SHA-256), content type and PDQ of files; folders are walked\n"
    "recursively (links to folders are not followed). PATH '-' reads paths from stdin, one per\n"
    "line (or NUL-separated with -0).\n"
    "\n"
    "Output: a table for people, a header line first (SHA-256, PDQ, QUAL, TYPE, DIMENSIONS,\n"
    "PATH; names escaped); --json or --csv for scripts.\n"
    "\n"
    "options:\n"
    "  --json             JSON Lines: path, size, type, mime, width, height, md5, sha1, sha256,\n"
    "                     pdq, quality[, dihedral]; on failure error and message\n"
    "  --csv              CSV with a header, same columns\n"
    "  --dihedral         also the 8 dihedral PDQ variants (orig, rot90, rot180, rot270,\n"
    "                     flipx, flipy, flipp, flipm)\n"
    "  --fast             fast mode for triage: scaled JPEG decoding, luma only (close to, not\n"
    "                     equal to, the exact hash)\n"
    "  --pdq-compat=MODE  library (default: full resolution, as HMA/python-threatexchange) or\n"
    "                     cli (the reference pdq-photo-hasher's 512x512 pre-resize)\n"
    "  -j, --jobs N       worker threads (default: all cores)\n"
    "  -0, --null         paths on stdin are NUL-separated\n"
    "  --no-video         videos get digests only (default: vPDQ, one frame hash a second;\n"
    "                     'ariadne vpdq' has every option)\n"
    "  --max-pixels N     refuse images over N pixels (default 200000000)\n"
    "  --max-file-size N  refuse image files over N bytes (default 1073741824)\n"
    "  --max-memory N     refuse images needing over N bytes to decode (default 2147483648)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 every file hashed, 1 some failed, 2 usage error.\n"
    "Files that are not images get digests and no PDQ (pdq_skipped says why); that is not a\n"
    "failure. Progress goes to stderr when it is a terminal.\n";

static int add_item(struct run *r, const char *path, ad_code pre, const char *msg)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        ad_hashset_item *it = realloc(r->items, cap * sizeof *it);
        if (!it)
            return -1;
        r->items = it;
        r->cap = cap;
    }
    ad_hashset_item *it = &r->items[r->n];
    it->path = strdup(path);
    it->pre = pre;
    it->pre_msg = msg ? strdup(msg) : NULL;
    if (!it->path)
        return -1;
    r->n++;
    return 0;
}

static int on_walk(void *ctx, const char *path, const struct stat *st, ad_code code,
                   const char *msg)
{
    struct run *r = ctx;
    if (!code && st && !S_ISREG(st->st_mode)) {
        code = AD_ERR_UNSUPPORTED;
        msg = S_ISFIFO(st->st_mode)                            ? "not a regular file (FIFO)"
              : (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) ? "not a regular file (device)"
              : S_ISSOCK(st->st_mode)                          ? "not a regular file (socket)"
                                                               : "not a regular file";
    }
    return add_item(r, path, code, msg) != 0;
}

static int read_stdin_paths(struct run *r, int nul)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getdelim(&line, &cap, nul ? '\0' : '\n', stdin)) > 0) {
        if (line[n - 1] == (nul ? '\0' : '\n'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        ad_walk(line, on_walk, r, NULL);
    }
    free(line);
    return 0;
}

/* ---- output ---- */

static void hex(const uint8_t *b, size_t n, char *out)
{
    ad_hex_encode(b, n, out);
}

static void csv_field(const char *s)
{
    ad_csv_cell(stdout, s, ',');
}

static void print_json(const ad_hashset_item *it, const ad_hashset_result *res)
{
    const ad_file_hash *fh = &res->fh;
    char md5[33], sha1[41], sha256[65], pdq[65];
    fputs("{\"path\":", stdout);
    size_t plen = strlen(it->path);
    if (ad_json_string(stdout, it->path, plen)) {
        char *h = malloc(2 * plen + 1);
        if (h) {
            fputs(",\"path_hex\":\"", stdout);
            fputs(ad_hex_encode((const uint8_t *)it->path, plen, h), stdout);
            fputc('"', stdout);
            free(h);
        }
    }
    if (fh->has_digests) {
        hex(fh->digests.md5, 16, md5);
        hex(fh->digests.sha1, 20, sha1);
        hex(fh->digests.sha256, 32, sha256);
        printf(",\"size\":%llu,\"type\":\"%s\",\"mime\":", (unsigned long long)fh->size,
               ad_media_type_name(fh->type));
        ad_json_string(stdout, fh->mime, strlen(fh->mime));
        if (fh->image.width)
            printf(",\"width\":%d,\"height\":%d", fh->image.width, fh->image.height);
        printf(",\"md5\":\"%s\",\"sha1\":\"%s\",\"sha256\":\"%s\"", md5, sha1, sha256);
    }
    if (res->code) {
        printf(",\"error\":\"%s\",\"message\":", ad_code_name(res->code));
        ad_json_string(stdout, res->err.msg, strlen(res->err.msg));
    } else if (fh->has_pdq) {
        printf(",\"pdq\":\"%s\",\"quality\":%d", ad_h256_format(&fh->pdq.hash, pdq),
               fh->pdq.quality);
        if (fh->pdq.has_dihedral) {
            fputs(",\"dihedral\":[", stdout);
            for (int v = 0; v < AD_PDQ_NVARIANTS; v++)
                printf("%s\"%s\"", v ? "," : "", ad_h256_format(&fh->pdq.dihedral[v], pdq));
            fputc(']', stdout);
        }
    } else if (res->has_vid) {
        const ad_vpdq_video *v = &res->vid;
        printf(",\"width\":%d,\"height\":%d,\"duration\":%.3f,\"fps\":%.3f,\"vpdq\":[", v->width,
               v->height, v->duration, v->frame_rate);
        char line[AD_VPDQ_LINE_MAX];
        for (size_t f = 0; f < v->n; f++) {
            ad_vpdq_format_line(&v->frames[f], line);
            printf("%s\"%s\"", f ? "," : "", line);
        }
        fputc(']', stdout);
    } else {
        fputs(",\"pdq\":null,\"pdq_skipped\":", stdout);
        ad_json_string(stdout, fh->pdq_skip_msg, strlen(fh->pdq_skip_msg));
    }
    fputs("}\n", stdout);
}

static void print_csv_header(int dihedral)
{
    fputs("path,size,type,mime,width,height,md5,sha1,sha256,pdq,quality", stdout);
    if (dihedral)
        for (int v = 0; v < AD_PDQ_NVARIANTS; v++)
            printf(",%s", ad_pdq_variant_names[v]);
    fputs(",error,message\n", stdout);
}

static void print_csv(const ad_hashset_item *it, const ad_hashset_result *res, int dihedral)
{
    const ad_file_hash *fh = &res->fh;
    char buf[65];
    csv_field(it->path);
    if (fh->has_digests) {
        printf(",%llu,%s,", (unsigned long long)fh->size, ad_media_type_name(fh->type));
        csv_field(fh->mime);
        if (fh->image.width)
            printf(",%d,%d", fh->image.width, fh->image.height);
        else
            fputs(",,", stdout);
        hex(fh->digests.md5, 16, buf);
        printf(",%s", buf);
        hex(fh->digests.sha1, 20, buf);
        printf(",%s", buf);
        hex(fh->digests.sha256, 32, buf);
        printf(",%s", buf);
    } else {
        fputs(",,,,,,,,", stdout);
    }
    if (!res->code && fh->has_pdq)
        printf(",%s,%d", ad_h256_format(&fh->pdq.hash, buf), fh->pdq.quality);
    else
        fputs(",,", stdout);
    if (dihedral)
        for (int v = 0; v < AD_PDQ_NVARIANTS; v++) {
            if (!res->code && fh->has_pdq && fh->pdq.has_dihedral)
                printf(",%s", ad_h256_format(&fh->pdq.dihedral[v], buf));
            else
                fputc(',', stdout);
        }
    if (res->code) {
        printf(",%s,", ad_code_name(res->code));
        csv_field(res->err.msg);
    } else {
        fputs(",,", stdout);
    }
    fputc('\n', stdout);
}

/* The table: a header naming the columns, then one line per file; paths escaped (a newline or
 * an odd byte in a name cannot break a row); notes and errors after the path. */
static void print_table_header(void)
{
    printf("%-64s  %-64s  %4s  %-5s  %-11s  %s\n", "SHA-256", "PDQ", "QUAL", "TYPE", "DIMENSIONS",
           "PATH");
}

static void print_table(const ad_hashset_item *it, const ad_hashset_result *res)
{
    const ad_file_hash *fh = &res->fh;
    char sha[65] = "-", pdq[65] = "-", qual[8] = "-", dims[32] = "-";
    if (fh->has_digests)
        ad_hex_encode(fh->digests.sha256, 32, sha);
    if (!res->code && fh->has_pdq) {
        ad_h256_format(&fh->pdq.hash, pdq);
        snprintf(qual, sizeof qual, "%d", fh->pdq.quality);
    }
    if (fh->image.width)
        snprintf(dims, sizeof dims, "%dx%d", fh->image.width, fh->image.height);
    else if (res->has_vid)
        snprintf(dims, sizeof dims, "%dx%d", res->vid.width, res->vid.height);
    printf("%-64s  %-64s  %4s  %-5s  %-11s  ", sha, pdq, qual,
           fh->has_digests ? ad_media_type_name(fh->type) : "-", dims);
    ad_txt_put(stdout, it->path);
    if (res->code) {
        printf("  [error %s: ", ad_code_name(res->code));
        ad_txt_put(stdout, res->err.msg);
        putchar(']');
    } else if (res->has_vid) {
        printf("  (vPDQ: %zu frame hashes, %.1f s)", res->vid.n, res->vid.duration);
    } else if (!fh->has_pdq) {
        fputs("  (no PDQ: ", stdout);
        ad_txt_put(stdout, fh->pdq_skip_msg);
        putchar(')');
    }
    putchar('\n');
}

/* Each result, in input order (ad_hashset_run calls one at a time). */
static void emit(void *ctx, const ad_hashset_result *res)
{
    const struct run *r = ctx;
    switch (r->fmt) {
    case FMT_JSON:
        print_json(res->item, res);
        break;
    case FMT_CSV:
        print_csv(res->item, res, r->opts.dihedral);
        break;
    default:
        print_table(res->item, res);
    }
}

int ad_cmd_hash(int argc, char **argv)
{
    struct run r;
    memset(&r, 0, sizeof r);
    ad_hash_opts_default(&r.opts);
    int jobs = 0, nul = 0;
    enum { O_JSON = 256, O_CSV, O_DIH, O_FAST, O_COMPAT, O_MAXPX, O_MAXFILE, O_MAXMEM, O_NOVID };
    r.video = 1;
    static const struct option lopts[] = {
        {"json", no_argument, 0, O_JSON},
        {"csv", no_argument, 0, O_CSV},
        {"dihedral", no_argument, 0, O_DIH},
        {"fast", no_argument, 0, O_FAST},
        {"pdq-compat", required_argument, 0, O_COMPAT},
        {"jobs", required_argument, 0, 'j'},
        {"null", no_argument, 0, '0'},
        {"max-pixels", required_argument, 0, O_MAXPX},
        {"max-file-size", required_argument, 0, O_MAXFILE},
        {"max-memory", required_argument, 0, O_MAXMEM},
        {"no-video", no_argument, 0, O_NOVID},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:0h", lopts, NULL)) != -1) {
        switch (c) {
        case O_JSON:
            r.fmt = FMT_JSON;
            break;
        case O_CSV:
            r.fmt = FMT_CSV;
            break;
        case O_DIH:
            r.opts.dihedral = 1;
            break;
        case O_FAST:
            r.opts.fast = 1;
            break;
        case O_COMPAT:
            if (!strcmp(optarg, "cli"))
                r.opts.compat = AD_PDQ_COMPAT_CLI;
            else if (!strcmp(optarg, "library"))
                r.opts.compat = AD_PDQ_COMPAT_LIBRARY;
            else {
                ad_cli_error("hash", "--pdq-compat takes 'library' or 'cli', not '%s'", optarg);
                return AD_EXIT_USAGE;
            }
            break;
        case 'j': {
            long long v = 0;
            if (ad_cli_int("hash", "--jobs", optarg, 1, 1024, &v))
                return AD_EXIT_USAGE;
            jobs = (int)v;
            break;
        }
        case '0':
            nul = 1;
            break;
        case O_NOVID:
            r.video = 0;
            break;
        case O_MAXPX:
        case O_MAXFILE:
        case O_MAXMEM: {
            long long v = 0;
            if (ad_cli_int("hash",
                           c == O_MAXPX     ? "--max-pixels"
                           : c == O_MAXFILE ? "--max-file-size"
                                            : "--max-memory",
                           optarg, 1, LLONG_MAX, &v))
                return AD_EXIT_USAGE;
            if (c == O_MAXPX)
                r.opts.limits.max_pixels = v;
            else if (c == O_MAXFILE)
                r.opts.limits.max_file_bytes = v;
            else
                r.opts.limits.max_memory = v;
            break;
        }
        case 'h':
            fputs(usage_text, stdout);
            return AD_EXIT_OK;
        default:
            return ad_cli_getopt_error("hash", c, argv);
        }
    }
    if (optind >= argc) {
        ad_cli_error("hash", "no PATH given (use - to read paths from stdin)");
        fputs(usage_text, stderr);
        return AD_EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "-"))
            read_stdin_paths(&r, nul);
        else
            ad_walk(argv[i], on_walk, &r, NULL);
    }
    if (r.fmt == FMT_CSV)
        print_csv_header(r.opts.dihedral);
    else if (r.fmt == FMT_TABLE)
        print_table_header();
    ad_hashset_opts ho;
    ad_hashset_opts_default(&ho);
    ho.hash = r.opts;
    ho.video = r.video;
    ho.threads = jobs;
    ho.progress = ad_progress_new(stderr, "hashing", r.n);
    ad_err err;
    size_t failed = 0;
    ad_code rc = ad_hashset_run(r.items, r.n, &ho, emit, &r, &failed, &err);
    ad_progress_finish(ho.progress);
    fflush(stdout);
    for (size_t i = 0; i < r.n; i++) {
        free((char *)r.items[i].path);
        free((char *)r.items[i].pre_msg);
    }
    free(r.items);
    if (rc) {
        ad_cli_error("hash", "%s", err.msg);
        return AD_EXIT_FAIL;
    }
    return failed ? AD_EXIT_FAIL : AD_EXIT_OK;
}
