/* test_hash.c: file hashing end to end: every reference vector in both conventions and the
 * dihedral sets (bit-exact), digests against known values, every decoder, fast mode's
 * accuracy, and hostile files each with its expected error or hash. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/hash.h"
#include "ariadne/hashset.h"
#include "ariadne/util.h"
#include "testutil.h"

static ad_hasher *hasher_with(int dihedral, ad_pdq_compat compat, int fast)
{
    ad_hash_opts o;
    ad_hash_opts_default(&o);
    o.dihedral = dihedral;
    o.compat = compat;
    o.fast = fast;
    ad_hasher *h;
    ad_err e;
    if (ad_hasher_new(&h, &o, &e) != AD_OK)
        fail_msg("hasher: %s", e.msg);
    return h;
}

static char *hexs(const ad_h256 *h)
{
    static char buf[4][65];
    static int k;
    return ad_h256_format(h, buf[k++ & 3]);
}

/* Reads a vectors CSV; calls fn(fields, nfields) for each non-comment line. */
static int for_each_line(const char *rel, void (*fn)(char **f, int n, void *ctx), void *ctx)
{
    FILE *f = fopen(td_path(rel), "r");
    assert_non_null(f);
    char line[4096];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\r\n")] = 0;
        char *fields[16];
        int n = 0;
        for (char *p = strtok(line, ","); p && n < 16; p = strtok(NULL, ","))
            fields[n++] = p;
        fn(fields, n, ctx);
        count++;
    }
    fclose(f);
    return count;
}

struct vctx {
    ad_hasher *h;
    int hash_col, quality_col, file_col, dihedral;
};

static void check_vector(char **f, int n, void *ctx)
{
    struct vctx *v = ctx;
    assert_true(n > v->file_col);
    char rel[1024];
    snprintf(rel, sizeof rel, "vectors/pdq/%s", f[v->file_col]);
    ad_file_hash fh;
    ad_err e;
    ad_code rc = ad_hasher_file(v->h, td_path(rel), &fh, &e);
    if (rc != AD_OK)
        fail_msg("%s: %s", rel, e.msg);
    assert_true(fh.has_pdq);
    if (v->dihedral) {
        for (int k = 0; k < AD_PDQ_NVARIANTS; k++)
            if (strcmp(hexs(&fh.pdq.dihedral[k]), f[k]))
                fail_msg("%s %s: got %s want %s", rel, ad_pdq_variant_names[k],
                         hexs(&fh.pdq.dihedral[k]), f[k]);
    } else if (strcmp(hexs(&fh.pdq.hash), f[v->hash_col])) {
        fail_msg("%s: got %s want %s", rel, hexs(&fh.pdq.hash), f[v->hash_col]);
    }
    if (v->quality_col >= 0 && fh.pdq.quality != atoi(f[v->quality_col]))
        fail_msg("%s: quality %d want %s", rel, fh.pdq.quality, f[v->quality_col]);
}

static void test_vectors_library(void **state)
{
    (void)state;
    struct vctx v = {hasher_with(0, AD_PDQ_COMPAT_LIBRARY, 0), 0, 1, 2, 0};
    assert_int_equal(for_each_line("vectors/pdq/expected/library-fullres.csv", check_vector, &v),
                     52);
    ad_hasher_free(v.h);
}

static void test_vectors_cli(void **state)
{
    (void)state;
    struct vctx v = {hasher_with(0, AD_PDQ_COMPAT_CLI, 0), 0, 1, 2, 0};
    assert_int_equal(
        for_each_line("vectors/pdq/expected/cli-pdq-photo-hasher.csv", check_vector, &v), 52);
    ad_hasher_free(v.h);
}

static void test_vectors_dihedral(void **state)
{
    (void)state;
    struct vctx lib = {hasher_with(1, AD_PDQ_COMPAT_LIBRARY, 0), 0, -1, 8, 1};
    assert_true(for_each_line("vectors/pdq/expected/dihedral-fullres.csv", check_vector, &lib) >=
                4);
    ad_hasher_free(lib.h);
    struct vctx cli = {hasher_with(1, AD_PDQ_COMPAT_CLI, 0), 0, 8, 9, 1};
    assert_true(for_each_line("vectors/pdq/expected/dihedral-cli.csv", check_vector, &cli) >= 4);
    ad_hasher_free(cli.h);
}

/* The transformed bridge files match the original's variants within the reference's figures. */
static void test_dihedral_files(void **state)
{
    (void)state;
    static const char *files[] = {"1-original", "2-rotate-90", "3-rotate-180",  "4-rotate-270",
                                  "5-flipx",    "6-flipy",     "7-flip-plus-1", "8-flip-minus-1"};
    ad_hasher *h = hasher_with(1, AD_PDQ_COMPAT_LIBRARY, 0);
    ad_file_hash orig, t;
    char rel[256];
    assert_int_equal(
        ad_hasher_file(h, td_path("vectors/pdq/data/reg-test-input/dih/bridge-1-original.jpg"),
                       &orig, NULL),
        AD_OK);
    for (int v = 0; v < 8; v++) {
        snprintf(rel, sizeof rel, "vectors/pdq/data/reg-test-input/dih/bridge-%s.jpg", files[v]);
        assert_int_equal(ad_hasher_file(h, td_path(rel), &t, NULL), AD_OK);
        int d = ad_h256_distance(&t.pdq.hash, &orig.pdq.dihedral[v]);
        assert_true(d <= 8);
        if (v)
            assert_true(ad_h256_distance(&t.pdq.hash, &orig.pdq.hash) > 90);
    }
    ad_hasher_free(h);
}

static void test_digests(void **state)
{
    (void)state;
    ad_digests d;
    char hx[65];
    assert_int_equal(ad_digest_buffer("", 0, &d, NULL), AD_OK);
    assert_string_equal(ad_hex_encode(d.md5, 16, hx), "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(ad_hex_encode(d.sha1, 20, hx), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_string_equal(ad_hex_encode(d.sha256, 32, hx),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(ad_digest_buffer("abc", 3, &d, NULL), AD_OK);
    assert_string_equal(ad_hex_encode(d.md5, 16, hx), "900150983cd24fb0d6963f7d28e17f72");
    assert_string_equal(ad_hex_encode(d.sha1, 20, hx), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_string_equal(ad_hex_encode(d.sha256, 32, hx),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* a file's digests, through the single read pass, equal the buffer digests */
    size_t len;
    uint8_t *data = td_read_file(td_path("vectors/pdq/data/bridge-mods/aaa-orig.jpg"), &len);
    assert_non_null(data);
    ad_digest_buffer(data, len, &d, NULL);
    ad_hasher *h = hasher_with(0, AD_PDQ_COMPAT_LIBRARY, 0);
    ad_file_hash fh;
    assert_int_equal(
        ad_hasher_file(h, td_path("vectors/pdq/data/bridge-mods/aaa-orig.jpg"), &fh, NULL), AD_OK);
    assert_memory_equal(fh.digests.sha256, d.sha256, 32);
    assert_memory_equal(fh.digests.md5, d.md5, 16);
    assert_memory_equal(fh.digests.sha1, d.sha1, 20);
    assert_string_equal(ad_hex_encode(fh.digests.md5, 16, hx), "d35c785545392755e7e4164457657269");
    assert_int_equal(fh.size, len);
    /* and ad_hasher_buffer gives the same record as ad_hasher_file */
    ad_file_hash fb;
    assert_int_equal(ad_hasher_buffer(h, data, len, &fb, NULL), AD_OK);
    assert_memory_equal(fb.digests.sha256, d.sha256, 32);
    assert_true(ad_h256_equal(&fb.pdq.hash, &fh.pdq.hash));
    /* the two steps apart: digests and type without decoding, then the PDQ */
    ad_file_hash fs;
    size_t kept;
    assert_int_equal(
        ad_hasher_file_digests(h, td_path("vectors/pdq/data/bridge-mods/aaa-orig.jpg"), &fs, NULL),
        AD_OK);
    assert_memory_equal(fs.digests.sha256, d.sha256, 32);
    assert_int_equal(fs.type, fh.type);
    assert_false(fs.has_pdq);
    assert_non_null(ad_hasher_data(h, &kept));
    assert_int_equal(kept, len);
    assert_int_equal(ad_hasher_pdq(h, ad_hasher_data(h, &kept), kept, &fs, NULL), AD_OK);
    assert_true(fs.has_pdq && ad_h256_equal(&fs.pdq.hash, &fh.pdq.hash));
    assert_int_equal(ad_hasher_buffer_digests(h, data, len, &fs, NULL), AD_OK);
    assert_false(fs.has_pdq);
    assert_memory_equal(fs.digests.md5, d.md5, 16);
    assert_int_equal(ad_hasher_pdq(h, data, len, &fs, NULL), AD_OK);
    assert_true(ad_h256_equal(&fs.pdq.hash, &fh.pdq.hash));
    free(data);
    ad_hasher_free(h);
}

/* ---- other formats, made at test time from a lossless vector ---- */

static const char *tmp;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static int setup(void **state)
{
    (void)state;
    tmp = td_tmpdir("test_hash");
    return tmp ? 0 : -1;
}

static const char *tpath(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ & 7];
    snprintf(b, 1024, "%s/%s", tmp, name);
    return b;
}

static ad_code hash_path(const char *path, ad_file_hash *fh, ad_err *e)
{
    ad_hasher *h = hasher_with(0, AD_PDQ_COMPAT_LIBRARY, 0);
    ad_code rc = ad_hasher_file(h, path, fh, e);
    ad_hasher_free(h);
    return rc;
}

static void test_formats(void **state)
{
    (void)state;
    const char *src = td_path("vectors/pdq/lossless/q0291.png");
    ad_file_hash ref, fh;
    assert_int_equal(hash_path(src, &ref, NULL), AD_OK);
    static const struct {
        const char *name, *args;
        ad_media_type type;
        int maxdist;
    } cases[] = {
        {"x.bmp", "", AD_MEDIA_BMP, 0},
        {"x3.bmp", "-define bmp:format=bmp3", AD_MEDIA_BMP, 0},
        {"x.tif", "", AD_MEDIA_TIFF, 0},
        {"xz.tif", "-compress zip", AD_MEDIA_TIFF, 0},
        {"x.webp", "-define webp:lossless=true", AD_MEDIA_WEBP, 0},
        {"xl.webp", "-quality 90", AD_MEDIA_WEBP, 16},
        {"x.gif", "", AD_MEDIA_GIF, 20},
        {"xi.gif", "-interlace GIF", AD_MEDIA_GIF, 20},
        {"xi.png", "-interlace PNG", AD_MEDIA_PNG, 0},
        {"xp.jpg", "-interlace JPEG -quality 95", AD_MEDIA_JPEG, 12},
        {"xg.jpg", "-colorspace Gray -quality 95", AD_MEDIA_JPEG, 16},
        {"x16.png", "-depth 16 -define png:bit-depth=16", AD_MEDIA_PNG, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *out = tpath(cases[i].name);
        assert_int_equal(sh("/usr/bin/convert '%s' %s '%s'", src, cases[i].args, out), 0);
        ad_err e;
        if (hash_path(out, &fh, &e) != AD_OK)
            fail_msg("%s: %s", cases[i].name, e.msg);
        assert_int_equal(fh.type, cases[i].type);
        assert_true(fh.has_pdq);
        assert_int_equal(fh.image.width, 256);
        int d = ad_h256_distance(&fh.pdq.hash, &ref.pdq.hash);
        if (cases[i].maxdist >= 0 && d > cases[i].maxdist)
            fail_msg("%s: distance %d > %d", cases[i].name, d, cases[i].maxdist);
    }
    /* HEIC from a phone-like encoder, when this machine's libheif can encode */
    if (sh("heif-enc -q 90 -o '%s' '%s' >/dev/null 2>&1", tpath("x.heic"), src) == 0) {
        ad_err e;
        if (hash_path(tpath("x.heic"), &fh, &e) != AD_OK)
            fail_msg("heic: %s", e.msg);
        assert_int_equal(fh.type, AD_MEDIA_HEIF);
        assert_true(ad_h256_distance(&fh.pdq.hash, &ref.pdq.hash) <= 20);
    }
}

/* ---- hostile files ---- */

static void write_bytes(const char *path, const void *data, size_t len)
{
    assert_int_equal(td_write_file(path, data, len), 0);
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
}

static void expect_error(const char *path, ad_code want, const char *what)
{
    ad_file_hash fh;
    ad_err e = {0};
    ad_code rc = hash_path(path, &fh, &e);
    if (rc != want)
        fail_msg("%s: got %s (%s), want %s", what, ad_code_name(rc), e.msg, ad_code_name(want));
    assert_true(e.msg[0] != '\0');
}

static void test_hostile(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = td_read_file(td_path("vectors/pdq/data/bridge-mods/aaa-orig.jpg"), &len);
    uint8_t *png = td_read_file(td_path("vectors/pdq/lossless/q0291.png"), NULL);
    assert_non_null(jpg);
    assert_non_null(png);

    /* JPEG truncated at several points */
    const size_t cuts[] = {1, 2, 10, 100, 600, len / 3, len / 2, len - 100, len - 2};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(tpath("trunc.jpg"), jpg, cuts[i]);
        ad_file_hash fh;
        ad_err e;
        ad_code rc = hash_path(tpath("trunc.jpg"), &fh, &e);
        /* a few bytes are no longer a JPEG by content: digests only, no failure */
        if (rc == AD_OK) {
            assert_false(fh.has_pdq);
            assert_int_not_equal(fh.type, AD_MEDIA_JPEG);
        } else if (rc != AD_ERR_TRUNCATED && rc != AD_ERR_CORRUPT) {
            fail_msg("cut at %zu: %s", cuts[i], e.msg);
        }
        if (cuts[i] >= 600)
            assert_int_equal(rc, AD_ERR_TRUNCATED);
    }
    /* zero bytes: digests of nothing, no PDQ, not a failure */
    write_bytes(tpath("empty.jpg"), "", 0);
    ad_file_hash fh;
    assert_int_equal(hash_path(tpath("empty.jpg"), &fh, NULL), AD_OK);
    assert_int_equal(fh.type, AD_MEDIA_EMPTY);
    assert_false(fh.has_pdq);
    assert_int_equal(fh.size, 0);
    /* text named .jpg: typed by content */
    const char *text = "this is a plain text file, not a picture\n";
    write_bytes(tpath("text.jpg"), text, strlen(text));
    assert_int_equal(hash_path(tpath("text.jpg"), &fh, NULL), AD_OK);
    assert_int_equal(fh.type, AD_MEDIA_OTHER);
    assert_string_equal(fh.mime, "text/plain");
    assert_false(fh.has_pdq);
    /* a JPEG named .png is hashed as the JPEG it is */
    write_bytes(tpath("wrong-ext.png"), jpg, len);
    assert_int_equal(hash_path(tpath("wrong-ext.png"), &fh, NULL), AD_OK);
    assert_int_equal(fh.type, AD_MEDIA_JPEG);
    assert_string_equal(hexs(&fh.pdq.hash),
                        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22");
    /* PNG whose header claims 30000x30000 (valid CRC) */
    {
        uint8_t hdr[33];
        memcpy(hdr, png, 33);
        const uint32_t dim = 30000;
        for (int k = 0; k < 2; k++) {
            hdr[16 + 4 * k] = (uint8_t)(dim >> 24);
            hdr[17 + 4 * k] = (uint8_t)(dim >> 16);
            hdr[18 + 4 * k] = (uint8_t)(dim >> 8);
            hdr[19 + 4 * k] = (uint8_t)dim;
        }
        uint32_t c = crc32_of(hdr + 12, 17);
        hdr[29] = (uint8_t)(c >> 24);
        hdr[30] = (uint8_t)(c >> 16);
        hdr[31] = (uint8_t)(c >> 8);
        hdr[32] = (uint8_t)c;
        size_t plen;
        uint8_t *whole = td_read_file(td_path("vectors/pdq/lossless/q0291.png"), &plen);
        memcpy(whole, hdr, 33);
        write_bytes(tpath("huge.png"), whole, plen);
        free(whole);
        expect_error(tpath("huge.png"), AD_ERR_LIMIT, "PNG 30000x30000");
    }
    /* JPEG whose SOF claims 65500x65500 */
    {
        uint8_t *j = malloc(len);
        memcpy(j, jpg, len);
        int found = 0;
        for (size_t i = 2; i + 9 < len; i++)
            if (j[i] == 0xff && (j[i + 1] == 0xc0 || j[i + 1] == 0xc2)) {
                j[i + 5] = 0xff;
                j[i + 6] = 0xdc;
                j[i + 7] = 0xff;
                j[i + 8] = 0xdc;
                found = 1;
                break;
            }
        assert_true(found);
        write_bytes(tpath("huge.jpg"), j, len);
        free(j);
        expect_error(tpath("huge.jpg"), AD_ERR_LIMIT, "JPEG 65500x65500");
    }
    /* random bytes with a JPEG signature: corrupt, never a crash */
    {
        uint8_t rnd[4096];
        uint32_t s = 12345;
        for (size_t i = 0; i < sizeof rnd; i++) {
            s = s * 1103515245u + 12345u;
            rnd[i] = (uint8_t)(s >> 16);
        }
        write_bytes(tpath("random.bin"), rnd, sizeof rnd);
        assert_int_equal(hash_path(tpath("random.bin"), &fh, NULL), AD_OK);
        assert_false(fh.has_pdq);
        memcpy(rnd, "\xff\xd8\xff\xe0\x00\x10JFIF\x00", 11);
        write_bytes(tpath("random.jpg"), rnd, sizeof rnd);
        ad_err e;
        ad_code rc = hash_path(tpath("random.jpg"), &fh, &e);
        assert_true(rc == AD_ERR_CORRUPT || rc == AD_ERR_TRUNCATED);
        memcpy(rnd, "\x89PNG\r\n\x1a\n", 8);
        write_bytes(tpath("random.png"), rnd, sizeof rnd);
        rc = hash_path(tpath("random.png"), &fh, &e);
        if (rc == AD_OK) /* not typed as PNG by its content: digests only */
            assert_true(!fh.has_pdq && fh.type != AD_MEDIA_PNG);
        else
            assert_true(rc == AD_ERR_CORRUPT || rc == AD_ERR_TRUNCATED);
    }
    /* a 4x4 image: digests and size, no PDQ (the reference would give an all-zero hash) */
    assert_int_equal(sh("/usr/bin/convert -size 4x4 xc:red '%s'", tpath("tiny.png")), 0);
    assert_int_equal(hash_path(tpath("tiny.png"), &fh, NULL), AD_OK);
    assert_false(fh.has_pdq);
    assert_int_equal(fh.image.width, 4);
    assert_non_null(strstr(fh.pdq_skip_msg, "too small"));
    /* an animated GIF: the first frame */
    assert_int_equal(sh("/usr/bin/convert -size 64x48 gradient:blue-yellow gradient:red-green "
                        "-delay 10 -loop 0 '%s'",
                        tpath("anim.gif")),
                     0);
    assert_int_equal(
        sh("/usr/bin/convert -size 64x48 gradient:blue-yellow '%s'", tpath("frame0.gif")), 0);
    ad_file_hash f0;
    assert_int_equal(hash_path(tpath("anim.gif"), &fh, NULL), AD_OK);
    assert_int_equal(hash_path(tpath("frame0.gif"), &f0, NULL), AD_OK);
    assert_true(fh.has_pdq);
    assert_string_equal(hexs(&fh.pdq.hash), hexs(&f0.pdq.hash));
    /* CMYK and 16-bit are covered bit-exactly by the vectors; a FIFO is refused without hanging */
    assert_int_equal(mkfifo(tpath("fifo.jpg"), 0600), 0);
    expect_error(tpath("fifo.jpg"), AD_ERR_UNSUPPORTED, "FIFO");
    /* a folder is not a file */
    expect_error(tmp, AD_ERR_UNSUPPORTED, "directory");
    /* a file that does not exist */
    expect_error(tpath("nope.jpg"), AD_ERR_IO, "missing");
    /* limits given by the caller */
    {
        ad_hash_opts o;
        ad_hash_opts_default(&o);
        o.limits.max_pixels = 1000;
        ad_hasher *h;
        assert_int_equal(ad_hasher_new(&h, &o, NULL), AD_OK);
        ad_err e;
        assert_int_equal(ad_hasher_file(h, td_path("vectors/pdq/lossless/q0291.png"), &fh, &e),
                         AD_ERR_LIMIT);
        ad_hasher_free(h);
        o.limits.max_pixels = 200000000;
        o.limits.max_file_bytes = 1000;
        assert_int_equal(ad_hasher_new(&h, &o, NULL), AD_OK);
        assert_int_equal(ad_hasher_file(h, td_path("vectors/pdq/lossless/q0291.png"), &fh, &e),
                         AD_ERR_LIMIT);
        ad_hasher_free(h);
    }
    free(jpg);
    free(png);
}

/* Fast mode meets the port criterion: every vector of quality >= 80 within distance 10. */
struct fctx {
    ad_hasher *exact, *fast;
    int worst, n;
    double sum;
};

static void check_fast(char **f, int n, void *ctx)
{
    struct fctx *c = ctx;
    (void)n;
    char rel[1024];
    snprintf(rel, sizeof rel, "vectors/pdq/%s", f[2]);
    ad_file_hash a, b;
    assert_int_equal(ad_hasher_file(c->exact, td_path(rel), &a, NULL), AD_OK);
    assert_int_equal(ad_hasher_file(c->fast, td_path(rel), &b, NULL), AD_OK);
    if (a.pdq.quality < 80)
        return;
    int d = ad_h256_distance(&a.pdq.hash, &b.pdq.hash);
    if (d > 10)
        fail_msg("fast mode: %s is %d bits from exact", rel, d);
    c->worst = d > c->worst ? d : c->worst;
    c->sum += d;
    c->n++;
}

static void test_fast_mode(void **state)
{
    (void)state;
    struct fctx c = {hasher_with(0, AD_PDQ_COMPAT_LIBRARY, 0),
                     hasher_with(0, AD_PDQ_COMPAT_LIBRARY, 1), 0, 0, 0};
    for_each_line("vectors/pdq/expected/library-fullres.csv", check_fast, &c);
    print_message("fast mode: %d vectors, mean distance %.2f, max %d\n", c.n, c.sum / c.n, c.worst);
    assert_true(c.n > 40);
    ad_hasher_free(c.exact);
    ad_hasher_free(c.fast);
}

/* PDQ hash lists as text: one a line, or the 8 dihedral forms; errors name the line */
static void test_h256_list(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text, "%064d\r\n%063d1\n", 0, 0);
    ad_h256 *h;
    size_t n;
    ad_err err;
    assert_int_equal(ad_h256_list_parse(text, strlen(text), 1, &h, &n, &err), AD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(h[1].b[31], 1);
    free(h);
    /* one hash on a line of a dihedral list stands for all 8 */
    assert_int_equal(ad_h256_list_parse(text, strlen(text), 8, &h, &n, &err), AD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(h[8 + 7].b[31], 1);
    free(h);
    snprintf(text, sizeof text, "%064d\n%063dz\n", 0, 0);
    assert_int_equal(ad_h256_list_parse(text, strlen(text), 1, &h, &n, &err), AD_ERR_PARSE);
    assert_non_null(strstr(err.msg, "line 2"));
    snprintf(text, sizeof text, "%064d,%064d\n", 0, 0);
    assert_int_equal(ad_h256_list_parse(text, strlen(text), 8, &h, &n, &err), AD_ERR_PARSE);
    assert_non_null(strstr(err.msg, "2 hashes"));
}

/* many files in parallel, handed back in input order, failures as results */
struct seen {
    size_t next, failed;
};

static void on_result(void *ctx, const ad_hashset_result *r)
{
    struct seen *s = ctx;
    assert_int_equal(r->index, s->next);
    s->next++;
    s->failed += r->code != AD_OK;
}

static void test_hashset(void **state)
{
    (void)state;
    ad_hashset_item items[40];
    char paths[40][512];
    for (int i = 0; i < 40; i++) {
        snprintf(paths[i], sizeof paths[i], "%s",
                 td_path(i % 2 ? "vectors/pdq/lossless/small.png" : "no-such-file"));
        items[i] = (ad_hashset_item){paths[i], i == 5 ? AD_ERR_UNSUPPORTED : AD_OK,
                                     i == 5 ? "not a regular file (FIFO)" : NULL};
    }
    ad_hashset_opts o;
    ad_hashset_opts_default(&o);
    o.threads = 3;
    struct seen s = {0, 0};
    size_t failed;
    ad_err err;
    assert_int_equal(ad_hashset_run(items, 40, &o, on_result, &s, &failed, &err), AD_OK);
    assert_int_equal(s.next, 40);
    assert_int_equal(failed, 21); /* the 20 missing files, and item 5 refused before hashing */
    assert_int_equal(s.failed, 21);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_library),  cmocka_unit_test(test_vectors_cli),
        cmocka_unit_test(test_vectors_dihedral), cmocka_unit_test(test_dihedral_files),
        cmocka_unit_test(test_digests),          cmocka_unit_test(test_formats),
        cmocka_unit_test(test_hostile),          cmocka_unit_test(test_fast_mode),
        cmocka_unit_test(test_h256_list),        cmocka_unit_test(test_hashset),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
