/* cmd_match.c: `ariadne match`: exact radius matching of a query hash list against a database
 * hash list with the match index, in hashbench's candidate format (see docs/index.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ariadne/h256.h"
#include "ariadne/index.h"
#include "ariadne/pdq.h"
#include "ariadne/util.h"
#include "ariadne/hashset.h"
#include "cli.h"

#define QCHUNK 65536 /* queries searched (and their results held) at a time */

static void help(FILE *out)
{
    fprintf(
        out,
        "usage: ariadne match [--radius R] [--dihedral] [-j T] [--json] DB QUERIES\n\n"
        "Finds, for every query hash, every database hash within Hamming distance R\n"
        "(exact: nothing within the radius is missed). DB and QUERIES are text files of\n"
        "one 64-hex-digit 256-bit hash (PDQ) per line; '-' reads standard input.\n\n"
        "Output, one line per query in query order:\n"
        "  <qid> <count> <dbid>:<dist> ...\n"
        "qid and dbid are 0-based line numbers, pairs by ascending dbid. On stderr:\n"
        "  hashbench: load_s=<s> build_s=<s> query_s=<s>\n\n"
        "Options:\n"
        "  --radius R    match distance <= R, 0..64 (default 31, PDQ's usual threshold)\n"
        "  --dihedral    each query line holds the 8 dihedral variants of one image as\n"
        "                8 comma-separated hashes (original, rot90, rot180, rot270, flipx,\n"
        "                flipy, flipp, flipm, as PDQ computes them; a single hash is also\n"
        "                accepted); pairs become <dbid>:<dist>:<variant> with the best\n"
        "                distance over the variants and the first variant (0..7) giving it\n"
        "  -j, --jobs T  threads for the query phase (default: $HASHBENCH_THREADS, else\n"
        "                all cores; --threads is another name)\n"
        "  --json        JSON Lines instead, one object a query: {\"query\": qid,\n"
        "                \"matches\": [{\"id\": dbid, \"distance\": d[, \"variant\": name]}]}\n"
        "  -h, --help    this text\n\n"
        "Exit status: 0 done, 1 a file could not be read or parsed, 2 usage error.\n"
        "AD_CPU=scalar|avx2|avx512 forces a distance kernel (default: the best the CPU has).\n");
}

/* Whole file (or stdin) into memory, NUL-terminated; sized once for a regular file. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return NULL;
    struct stat st;
    size_t cap = 1 << 20, n = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int ioerr = ferror(f);
    if (f != stdin)
        fclose(f);
    if (buf && ioerr) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[n] = 0;
    *len = n;
    return buf;
}

/* Parses one hash per line (8 with --dihedral); the number of lines, or -1 after printing an
 * error. */
static long parse_list(const char *path, const char *text, size_t len, int per, ad_h256 **out)
{
    size_t lines;
    ad_err err;
    if (ad_h256_list_parse(text, len, per, out, &lines, &err) != AD_OK) {
        ad_cli_error("match", "%s: %s", path, err.msg);
        return -1;
    }
    return (long)lines;
}

static int cmp_id(const void *a, const void *b)
{
    const ad_index_hit *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void print_hits(FILE *out, size_t qid, ad_index_hits *h, int dihedral, int json)
{
    if (h->n > 1)
        qsort(h->v, h->n, sizeof *h->v, cmp_id);
    if (json) {
        fprintf(out, "{\"query\":%zu,\"matches\":[", qid);
        for (size_t i = 0; i < h->n; i++) {
            fprintf(out, "%s{\"id\":%llu,\"distance\":%u", i ? "," : "",
                    (unsigned long long)h->v[i].id, h->v[i].dist);
            if (dihedral)
                fprintf(out, ",\"variant\":\"%s\"", ad_pdq_variant_names[h->v[i].variant]);
            fputc('}', out);
        }
        fputs("]}\n", out);
        return;
    }
    fprintf(out, "%zu %zu", qid, h->n);
    for (size_t i = 0; i < h->n; i++) {
        if (dihedral)
            fprintf(out, " %llu:%u:%u", (unsigned long long)h->v[i].id, h->v[i].dist,
                    h->v[i].variant);
        else
            fprintf(out, " %llu:%u", (unsigned long long)h->v[i].id, h->v[i].dist);
    }
    fputc('\n', out);
}

int ad_cmd_match(int argc, char **argv)
{
    long long radius = AD_INDEX_RADIUS_DEFAULT, threads = 0;
    int dihedral = 0, json = 0;
    const char *env = getenv("HASHBENCH_THREADS");
    if (env && *env && ad_cli_parse_int(env, 1, 4096, &threads)) {
        ad_cli_error("match", "HASHBENCH_THREADS=%s is not a thread count", env);
        return AD_EXIT_USAGE;
    }
    enum { O_RADIUS = 256, O_DIHEDRAL, O_JSON };
    static const struct option lopts[] = {
        {"radius", required_argument, 0, O_RADIUS},
        {"dihedral", no_argument, 0, O_DIHEDRAL},
        {"jobs", required_argument, 0, 'j'},
        {"threads", required_argument, 0, 'j'},
        {"json", no_argument, 0, O_JSON},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hj:", lopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'h':
            help(stdout);
            return AD_EXIT_OK;
        case O_DIHEDRAL:
            dihedral = 1;
            break;
        case O_JSON:
            json = 1;
            break;
        case O_RADIUS:
            bad = ad_cli_int("match", "--radius", optarg, 0, AD_INDEX_RADIUS_MAX, &radius);
            break;
        case 'j':
            bad = ad_cli_int("match", "--jobs", optarg, 1, 4096, &threads);
            break;
        default:
            return ad_cli_getopt_error("match", c, argv);
        }
        if (bad)
            return AD_EXIT_USAGE;
    }
    if (argc - optind != 2) {
        if (argc - optind > 2)
            ad_cli_error("match", "too many arguments (see --help)");
        else
            help(stderr);
        return AD_EXIT_USAGE;
    }
    const char *paths[2] = {argv[optind], argv[optind + 1]};
    if (!strcmp(paths[0], "-") && !strcmp(paths[1], "-")) {
        ad_cli_error("match", "DB and QUERIES cannot both be standard input");
        return AD_EXIT_USAGE;
    }

    double t0 = ad_now();
    int per = dihedral ? 8 : 1;
    ad_h256 *db = NULL, *qs = NULL;
    long ndb = -1, nq = -1;
    for (int f = 0; f < 2; f++) {
        size_t len;
        char *text = slurp(paths[f], &len);
        if (!text) {
            ad_cli_error("match", "cannot read %s: %s", paths[f], strerror(errno));
            free(db);
            return AD_EXIT_FAIL;
        }
        if (f == 0)
            ndb = parse_list(paths[0], text, len, 1, &db);
        else
            nq = parse_list(paths[1], text, len, per, &qs);
        free(text);
        if ((f == 0 ? ndb : nq) < 0) {
            free(db);
            return AD_EXIT_FAIL;
        }
    }
    double t1 = ad_now();

    int rc = AD_EXIT_OK;
    ad_err err;
    ad_index *ix = NULL;
    uint64_t *ids = malloc(((size_t)ndb + 1) * sizeof *ids);
    ad_index_hits *hits = calloc(QCHUNK, sizeof *hits);
    if (!ids || !hits || ad_index_new(&ix, &err) != AD_OK) {
        ad_cli_error("match", "out of memory");
        rc = AD_EXIT_FAIL;
        goto done;
    }
    for (long i = 0; i < ndb; i++)
        ids[i] = (uint64_t)i;
    if (ad_index_add(ix, db, ids, (size_t)ndb, &err) != AD_OK ||
        ad_index_compact(ix, &err) != AD_OK) {
        ad_cli_error("match", "cannot build the index: %s", err.msg);
        rc = AD_EXIT_FAIL;
        goto done;
    }
    free(db);
    db = NULL;
    double t2 = ad_now(), tq = 0;

    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    for (size_t q0 = 0; q0 < (size_t)nq; q0 += QCHUNK) {
        size_t cnt = (size_t)nq - q0 < QCHUNK ? (size_t)nq - q0 : QCHUNK;
        double ts = ad_now();
        if (ad_index_search_batch(ix, qs + q0 * (size_t)per, cnt, dihedral, (int)radius,
                                  (int)threads, hits, &err) != AD_OK) {
            ad_cli_error("match", "search failed: %s", err.msg);
            rc = AD_EXIT_FAIL;
            goto done;
        }
        tq += ad_now() - ts;
        for (size_t i = 0; i < cnt; i++)
            print_hits(stdout, q0 + i, &hits[i], dihedral, json);
    }
    if (fflush(stdout) != 0) {
        ad_cli_error("match", "cannot write the results: %s", strerror(errno));
        rc = AD_EXIT_FAIL;
    }
    fprintf(stderr, "hashbench: load_s=%.3f build_s=%.3f query_s=%.3f\n", t1 - t0, t2 - t1, tq);
done:
    for (size_t i = 0; hits && i < QCHUNK; i++)
        ad_index_hits_free(&hits[i]);
    free(hits);
    free(ids);
    free(db);
    free(qs);
    ad_index_free(ix);
    return rc;
}
