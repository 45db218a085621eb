/* test_walk.c: the ingest source walker: folder order and odd names, links and special files,
 * archives of every kind and nested ones with the depth limit, traversal names that must stay
 * text, corrupt, truncated and encrypted archives, bombs stopped by the limits with bounded
 * memory, stable ordinals and keys, rows handed to the hasher and EXIF. Fixtures are made at
 * test time (python3, zip, tar, 7z, libarchive's writer). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ariadne/exif.h"
#include "ariadne/hash.h"
#include "ariadne/ingest_source.h"
#include "testutil.h"

#define JPEG "vectors/pdq/data/misc-images/wee.jpg"

typedef struct trow {
    ad_row_kind kind;
    ad_code code;
    char *path; /* relative to the root given */
    char msg[160];
    uint8_t key[32];
    uint64_t ordinal, size;
    int depth, is_archive, via_symlink, mtime_set;
    uint8_t *data;
    size_t len;
    char parent[512];
} trow;

typedef struct tset {
    trow *r;
    size_t n, cap;
    size_t skip; /* prefix length of the root */
} tset;

static int collect_fn(void *ctx, const ad_row *row)
{
    tset *t = ctx;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->r = realloc(t->r, t->cap * sizeof *t->r);
        assert_non_null(t->r);
    }
    trow *r = &t->r[t->n++];
    memset(r, 0, sizeof *r);
    r->kind = row->kind;
    r->code = row->err.code;
    snprintf(r->msg, sizeof r->msg, "%s", row->err.msg);
    size_t plen = strlen(row->path);
    r->path = strdup(row->path + (plen >= t->skip ? t->skip : 0));
    memcpy(r->key, row->key, 32);
    r->ordinal = row->ordinal;
    r->size = row->size;
    r->depth = row->depth;
    r->is_archive = row->is_archive;
    r->via_symlink = row->via_symlink;
    r->mtime_set = row->mtime.set;
    if (row->depth > 0)
        snprintf(r->parent, sizeof r->parent, "%s", row->chain[row->depth - 1] + t->skip);
    if (row->data) {
        r->data = malloc(row->len + 1);
        memcpy(r->data, row->data, row->len);
        r->len = row->len;
    }
    /* invariants of every row */
    assert_true(row->kind == AD_ROW_FILE ? row->err.code == AD_OK : row->err.code != AD_OK);
    assert_null(row->chain[row->depth]);
    if (row->kind == AD_ROW_FILE && row->depth == 0)
        assert_non_null(row->fs_path);
    if (row->depth > 0) {
        assert_null(row->fs_path);
        assert_non_null(row->parent_format);
    }
    return 0;
}

static tset walk_opts(const char *root, const ad_source_opts *o)
{
    tset t = {0};
    t.skip = strlen(root) + 1;
    ad_err e;
    const char *roots[] = {root};
    ad_code rc = ad_source_walk(roots, 1, o, collect_fn, &t, &e);
    if (rc != AD_OK)
        fail_msg("walk: %s", e.msg);
    return t;
}

static tset walk(const char *root)
{
    return walk_opts(root, NULL);
}

static void tset_free(tset *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->r[i].path);
        free(t->r[i].data);
    }
    free(t->r);
}

static const trow *find(const tset *t, const char *path, ad_row_kind kind)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->r[i].path, path) && t->r[i].kind == kind)
            return &t->r[i];
    fail_msg("no %s row for %s", ad_row_kind_name(kind), path);
    return NULL;
}

static int has_path(const tset *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->r[i].path, path))
            return 1;
    return 0;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

/* Runs a python3 script (text) in folder dir, with the JPEG's path in $JPEG. */
static void py(const char *dir, const char *script)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../gen.py", dir);
    assert_int_equal(td_write_file(path, script, strlen(script)), 0);
    /* the system's python (the Debian package) starts faster than a version manager's shim */
    const char *python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    sh("cd '%s' && JPEG='%s' %s ../gen.py", dir, td_path(JPEG), python);
}

/* A fresh scratch folder holding an empty seizure/ folder; returns the seizure's path. */
static const char *seizure(const char *name)
{
    static char buf[4096];
    const char *tmp = td_tmpdir(name);
    assert_non_null(tmp);
    snprintf(buf, sizeof buf, "%s/seizure", tmp);
    assert_int_equal(mkdir(buf, 0755), 0);
    return buf;
}

static uint8_t *jpeg_bytes(size_t *len)
{
    uint8_t *b = td_read_file(td_path(JPEG), len);
    assert_non_null(b);
    return b;
}

static void test_escape(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ad_path_escape("a b/c.jpg", 9, out, sizeof out), 9);
    assert_string_equal(out, "a b/c.jpg");
    ad_path_escape("new\nline", 8, out, sizeof out);
    assert_string_equal(out, "new\\x0aline");
    ad_path_escape("bad\xff\xfe", 5, out, sizeof out);
    assert_string_equal(out, "bad\\xff\\xfe");
    ad_path_escape("back\\slash", 10, out, sizeof out);
    assert_string_equal(out, "back\\\\slash");
    ad_path_escape("x!/y!", 5, out, sizeof out);
    assert_string_equal(out, "x\\x21/y\\x21");
    ad_path_escape("caf\xc3\xa9", 5, out, sizeof out); /* valid UTF-8 kept */
    assert_string_equal(out, "caf\xc3\xa9");
    ad_path_escape("\xc0\xaf", 2, out, sizeof out); /* overlong "/" */
    assert_string_equal(out, "\\xc0\\xaf");
    ad_path_escape("a\xe2\x80\xaeg", 5, out, sizeof out); /* right-to-left override */
    assert_string_equal(out, "a\\xe2\\x80\\xaeg");
    assert_int_equal(ad_path_escape("\n\n\n", 3, out, 5), 12); /* cut, still terminated */
    assert_string_equal(out, "\\x0a");
}

static void test_folders(void **state)
{
    (void)state;
    const char *root = seizure("folders");
    size_t jl;
    uint8_t *jpg = jpeg_bytes(&jl);
    sh("cd '%s' && mkdir -p 'a/b/c' 'with space' && printf x > 'a/b/c/deep.txt' && "
       "printf hi > \"$(printf 'new\\nline')\" && printf x > \"$(printf 'bad\\377\\376')\" && "
       "printf z > 'Z' && printf e > 'a/B'",
       root);
    char p[4096];
    snprintf(p, sizeof p, "%s/with space/photo 1.jpg", root);
    assert_int_equal(td_write_file(p, jpg, jl), 0);
    tset t = walk(root);
    const char *want[] = {
        "Z", "a/B", "a/b/c/deep.txt", "bad\\xff\\xfe", "new\\x0aline", "with space/photo 1.jpg"};
    assert_int_equal(t.n, 6);
    for (size_t i = 0; i < t.n; i++) {
        assert_string_equal(t.r[i].path, want[i]);
        assert_int_equal(t.r[i].kind, AD_ROW_FILE);
        assert_int_equal(t.r[i].ordinal, i);
        assert_int_equal(t.r[i].depth, 0);
        assert_true(t.r[i].mtime_set);
        assert_false(t.r[i].is_archive);
        assert_null(t.r[i].data);
    }
    assert_int_equal(t.r[5].size, jl);
    /* the same walk again: the same ordinals and keys; keys all different */
    tset u = walk(root);
    assert_int_equal(u.n, t.n);
    for (size_t i = 0; i < t.n; i++) {
        assert_memory_equal(t.r[i].key, u.r[i].key, 32);
        for (size_t j = 0; j < i; j++)
            assert_memory_not_equal(t.r[i].key, t.r[j].key, 32);
    }
    tset_free(&t);
    tset_free(&u);
    free(jpg);
}

static void test_links_and_specials(void **state)
{
    (void)state;
    const char *root = seizure("links");
    sh("cd '%s' && mkdir -p dir && printf x > dir/f && ln -s loop1 loop2 && ln -s loop2 loop1 && "
       "ln -s dir dirlink && ln -s dir/f filelink && ln -s nowhere dangling && mkfifo fifo && "
       "ln -s /dev/null null && ln -s .. up",
       root);
    char sp[4096];
    snprintf(sp, sizeof sp, "%s/sock", root);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int have_sock = fd >= 0 && strlen(sp) < sizeof a.sun_path;
    if (have_sock) {
        memcpy(a.sun_path, sp, strlen(sp) + 1);
        have_sock = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    }
    tset t = walk(root); /* a FIFO opened for reading would hang here */
    assert_int_equal(find(&t, "dir/f", AD_ROW_FILE)->size, 1);
    assert_int_equal(find(&t, "loop1", AD_ROW_ERROR)->code, AD_ERR_UNSUPPORTED);
    assert_non_null(strstr(find(&t, "loop2", AD_ROW_ERROR)->msg, "loop"));
    assert_non_null(strstr(find(&t, "dirlink", AD_ROW_ERROR)->msg, "not followed"));
    assert_non_null(strstr(find(&t, "up", AD_ROW_ERROR)->msg, "not followed"));
    assert_int_equal(find(&t, "dangling", AD_ROW_ERROR)->code, AD_ERR_IO);
    assert_non_null(strstr(find(&t, "fifo", AD_ROW_ERROR)->msg, "FIFO"));
    assert_non_null(strstr(find(&t, "null", AD_ROW_ERROR)->msg, "device"));
    assert_true(find(&t, "filelink", AD_ROW_FILE)->via_symlink);
    if (have_sock)
        assert_non_null(strstr(find(&t, "sock", AD_ROW_ERROR)->msg, "socket"));
    assert_int_equal(t.n, 9 + (have_sock ? 1 : 0)); /* nothing below the links */
    if (fd >= 0)
        close(fd);
    tset_free(&t);
    /* a root that is a link to a folder is followed */
    char link[4096];
    snprintf(link, sizeof link, "%s/dirlink", root);
    t = walk(link);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.r[0].path, "f");
    tset_free(&t);
    /* a root that does not exist is one error row */
    snprintf(link, sizeof link, "%s/missing", root);
    t = walk(link);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.r[0].kind, AD_ROW_ERROR);
    tset_free(&t);
}

static void test_unreadable(void **state)
{
    (void)state;
    /* a regular file whose read fails (address 0 of this process is not mapped) */
    tset t = walk("/proc/self/mem");
    assert_int_equal(t.n, 1);
    assert_int_equal(t.r[0].kind, AD_ROW_ERROR);
    assert_int_equal(t.r[0].code, AD_ERR_IO);
    assert_non_null(strstr(t.r[0].msg, "cannot read"));
    tset_free(&t);
    if (geteuid() == 0)
        return; /* root opens everything whatever its mode */
    const char *root = seizure("unreadable");
    sh("cd '%s' && printf x > secret && chmod 000 secret && mkdir closed && chmod 000 closed",
       root);
    t = walk(root);
    assert_int_equal(find(&t, "secret", AD_ROW_ERROR)->code, AD_ERR_IO);
    assert_int_equal(find(&t, "closed", AD_ROW_ERROR)->code, AD_ERR_IO);
    sh("chmod 755 '%s/closed'", root);
    tset_free(&t);
}

/* Checks that path is a member row holding exactly the JPEG. */
static void assert_jpeg_member(const tset *t, const char *path, const uint8_t *jpg, size_t jl)
{
    const trow *r = find(t, path, AD_ROW_FILE);
    assert_int_equal(r->len, jl);
    assert_memory_equal(r->data, jpg, jl);
    assert_true(r->mtime_set);
    assert_true(r->depth >= 1);
}

static void test_archive_formats(void **state)
{
    (void)state;
    const char *root = seizure("formats");
    size_t jl;
    uint8_t *jpg = jpeg_bytes(&jl);
    sh("cd '%s' && mkdir -p src/pics && cp '%s' src/pics/a.jpg && cp '%s' src/b.jpg && "
       "(cd src && zip -qr ../z.zip pics b.jpg && tar cf ../t.tar pics b.jpg && "
       "tar czf ../t.tgz pics b.jpg && tar cjf ../t.tbz pics b.jpg && "
       "7z a -bd ../s.7z pics b.jpg >/dev/null) && gzip -c src/b.jpg > single.gz && "
       "cp z.zip z.renamed.txt && rm -rf src && printf 'hello\\n' > plain.txt && "
       "printf '#mtree\\n./x type=file\\n' > mtree.txt",
       root, td_path(JPEG), td_path(JPEG));
    tset t = walk(root);
    const char *archives[] = {"z.zip", "t.tar", "t.tgz", "t.tbz", "s.7z", "z.renamed.txt"};
    for (size_t i = 0; i < sizeof archives / sizeof *archives; i++) {
        char p[256];
        assert_true(find(&t, archives[i], AD_ROW_FILE)->is_archive);
        snprintf(p, sizeof p, "%s!/pics/a.jpg", archives[i]);
        assert_jpeg_member(&t, p, jpg, jl);
        assert_string_equal(find(&t, p, AD_ROW_FILE)->parent, archives[i]);
        snprintf(p, sizeof p, "%s!/b.jpg", archives[i]);
        assert_jpeg_member(&t, p, jpg, jl);
    }
    /* a gzip'd single file is one member named as gzip recorded it */
    assert_true(find(&t, "single.gz", AD_ROW_FILE)->is_archive);
    assert_jpeg_member(&t, "single.gz!/b.jpg", jpg, jl);
    /* text libarchive could read (raw, mtree) is no archive */
    assert_false(find(&t, "plain.txt", AD_ROW_FILE)->is_archive);
    assert_false(find(&t, "mtree.txt", AD_ROW_FILE)->is_archive);
    for (size_t i = 0; i < t.n; i++)
        assert_int_equal(t.r[i].kind, AD_ROW_FILE);
    /* members come right after their archive, in archive order */
    for (size_t i = 0; i + 1 < t.n; i++)
        if (t.r[i + 1].depth == 1)
            assert_true(t.r[i].is_archive || t.r[i].depth == 1);
    tset_free(&t);
    free(jpg);
}

/* Writes an archive with libarchive's writer (formats no command here makes: ISO 9660, cpio,
 * xar) holding the JPEG as pics/a.jpg. */
static void write_archive(const char *path, int (*format)(struct archive *), const uint8_t *data,
                          size_t len)
{
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(format(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "pics/a.jpg");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, 1600000000, 0);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

static void test_more_formats(void **state)
{
    (void)state;
    const char *root = seizure("more_formats");
    size_t jl;
    uint8_t *jpg = jpeg_bytes(&jl);
    static const struct {
        const char *name, *member; /* ar keeps base names only */
        int (*format)(struct archive *);
    } fmts[] = {
        {"image.iso", "image.iso!/pics/a.jpg", archive_write_set_format_iso9660},
        {"old.cpio", "old.cpio!/pics/a.jpg", archive_write_set_format_cpio_newc},
        {"lib.a", "lib.a!/a.jpg", archive_write_set_format_ar_svr4},
    };
    const size_t n = sizeof fmts / sizeof *fmts;
    char p[4096];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s", root, fmts[i].name);
        write_archive(p, fmts[i].format, jpg, jl);
    }
    tset t = walk(root);
    for (size_t i = 0; i < n; i++) {
        assert_true(find(&t, fmts[i].name, AD_ROW_FILE)->is_archive);
        assert_jpeg_member(&t, fmts[i].member, jpg, jl);
    }
    tset_free(&t);
    free(jpg);
}

static void test_nesting(void **state)
{
    (void)state;
    const char *root = seizure("nesting");
    size_t jl;
    uint8_t *jpg = jpeg_bytes(&jl);
    sh("cd '%s' && mkdir w && cd w && cp '%s' x.jpg && zip -q inner.zip x.jpg && "
       "tar cf mid.tar inner.zip && zip -q ../outer.zip mid.tar && cd .. && rm -rf w",
       root, td_path(JPEG));
    tset t = walk(root);
    assert_int_equal(t.n, 4);
    assert_string_equal(t.r[0].path, "outer.zip");
    assert_string_equal(t.r[1].path, "outer.zip!/mid.tar");
    assert_string_equal(t.r[2].path, "outer.zip!/mid.tar!/inner.zip");
    assert_string_equal(t.r[2].parent, "outer.zip!/mid.tar");
    assert_jpeg_member(&t, "outer.zip!/mid.tar!/inner.zip!/x.jpg", jpg, jl);
    assert_int_equal(t.r[3].depth, 3);
    tset_free(&t);

    ad_source_opts o;
    ad_source_opts_default(&o);
    o.max_depth = 2;
    t = walk_opts(root, &o);
    assert_int_equal(t.n, 4);
    assert_true(t.r[2].is_archive); /* inner.zip: still a row (hashed as a file)... */
    assert_int_equal(t.r[3].kind, AD_ROW_ARCHIVE_END); /* ...but not opened */
    assert_string_equal(t.r[3].path, "outer.zip!/mid.tar!/inner.zip");
    assert_int_equal(t.r[3].code, AD_ERR_LIMIT);
    assert_false(has_path(&t, "outer.zip!/mid.tar!/inner.zip!/x.jpg"));
    tset_free(&t);
    free(jpg);
}

static void test_traversal_names(void **state)
{
    (void)state;
    const char *root = seizure("traversal");
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/../../x.jpg", root);
    unlink(probe);
    py(root,
       "import os, zipfile, tarfile, io\n"
       "data = open(os.environ['JPEG'], 'rb').read()\n"
       "with zipfile.ZipFile('evil.zip', 'w') as z:\n"
       "    for n in ['../../x.jpg', '/etc/passwd', 'a/../../../b.jpg', 'ctl\\x01\\x7f.jpg',\n"
       "              'bang!/x.jpg', 'C:\\\\Windows\\\\x.jpg']:\n"
       "        z.writestr(zipfile.ZipInfo(n), data)\n"
       "with tarfile.open('evil.tar', 'w') as t:\n"
       "    for n in ['../../x.jpg', '/etc/shadow']:\n"
       "        i = tarfile.TarInfo(n); i.size = len(data); t.addfile(i, io.BytesIO(data))\n"
       "    i = tarfile.TarInfo('link'); i.type = tarfile.SYMTYPE; i.linkname = '/etc/passwd'\n"
       "    t.addfile(i)\n"
       "    i = tarfile.TarInfo('dev'); i.type = tarfile.CHRTYPE; t.addfile(i)\n");
    struct stat before;
    assert_int_equal(stat("/etc/passwd", &before), 0);
    tset t = walk(root);
    size_t jl;
    uint8_t *jpg = jpeg_bytes(&jl);
    assert_jpeg_member(&t, "evil.zip!/../../x.jpg", jpg, jl);
    assert_jpeg_member(&t, "evil.zip!//etc/passwd", jpg, jl);
    assert_jpeg_member(&t, "evil.zip!/a/../../../b.jpg", jpg, jl);
    assert_jpeg_member(&t, "evil.zip!/ctl\\x01\\x7f.jpg", jpg, jl);
    assert_jpeg_member(&t, "evil.zip!/bang\\x21/x.jpg", jpg, jl);
    /* libarchive turns the back slashes of zip names into slashes */
    assert_jpeg_member(&t, "evil.zip!/C:/Windows/x.jpg", jpg, jl);
    assert_jpeg_member(&t, "evil.tar!/../../x.jpg", jpg, jl);
    assert_jpeg_member(&t, "evil.tar!//etc/shadow", jpg, jl);
    const trow *link = find(&t, "evil.tar!/link", AD_ROW_ERROR);
    assert_int_equal(link->code, AD_ERR_UNSUPPORTED);
    assert_non_null(strstr(link->msg, "(to /etc/passwd)"));
    assert_int_equal(find(&t, "evil.tar!/dev", AD_ROW_ERROR)->code, AD_ERR_UNSUPPORTED);
    /* nothing was written anywhere */
    struct stat after;
    assert_int_equal(stat("/etc/passwd", &after), 0);
    assert_int_equal(before.st_mtime, after.st_mtime);
    assert_int_equal(before.st_size, after.st_size);
    assert_int_not_equal(access(probe, F_OK), 0);
    assert_int_not_equal(access("x.jpg", F_OK), 0);
    assert_int_not_equal(access("../x.jpg", F_OK), 0);
    tset u = walk(root);
    assert_int_equal(u.n, t.n); /* the seizure folder is unchanged */
    tset_free(&u);
    tset_free(&t);
    free(jpg);
}

static void test_broken_archives(void **state)
{
    (void)state;
    const char *root = seizure("broken");
    py(root, "import os, zipfile, tarfile\n"
             "data = open(os.environ['JPEG'], 'rb').read()\n"
             "with zipfile.ZipFile('ok.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
             "    z.writestr('a.jpg', data); z.writestr('b.jpg', data)\n"
             "b = bytearray(open('ok.zip', 'rb').read())\n"
             "for i in range(60, 400): b[i] ^= 0x5a\n"
             "open('corrupt.zip', 'wb').write(b)\n"
             "open('cut.zip', 'wb').write(open('ok.zip', 'rb').read()[:3000])\n"
             "with tarfile.open('ok.tar', 'w') as t: t.add(os.environ['JPEG'], 'a.jpg')\n"
             "open('trunc.tar', 'wb').write(open('ok.tar', 'rb').read()[:2000])\n"
             "open('junk.zip', 'wb').write(b'PK\\x03\\x04' + os.urandom(5000))\n"
             "os.remove('ok.zip'); os.remove('ok.tar')\n");
    sh("cd '%s' && cp '%s' x.jpg && zip -q -P secret enc.zip x.jpg && rm x.jpg", root,
       td_path(JPEG));
    tset t = walk(root);
    const trow *r = find(&t, "corrupt.zip!/a.jpg", AD_ROW_ERROR);
    assert_true(r->code == AD_ERR_CORRUPT || r->code == AD_ERR_TRUNCATED);
    assert_int_equal(find(&t, "trunc.tar!/a.jpg", AD_ROW_ERROR)->code, AD_ERR_TRUNCATED);
    assert_int_equal(find(&t, "trunc.tar", AD_ROW_ARCHIVE_END)->code, AD_ERR_TRUNCATED);
    assert_int_not_equal(find(&t, "cut.zip", AD_ROW_ARCHIVE_END)->code, AD_OK);
    r = find(&t, "enc.zip!/x.jpg", AD_ROW_ERROR);
    assert_int_equal(r->code, AD_ERR_UNSUPPORTED);
    assert_non_null(strstr(r->msg, "encrypted"));
    /* whatever libmagic thinks of the junk, the walk goes on to the end */
    assert_true(has_path(&t, "trunc.tar"));
    tset_free(&t);
}

/* A compressed file whose content starts with 512 zero bytes looks like an empty tar to
 * libarchive: it must still give its content as a member, never vanish. A real empty tar inside
 * a gzip gives its bytes as a member too (nothing in a seizure is dropped without a row). */
static void test_zero_block_gzip(void **state)
{
    (void)state;
    const char *root = seizure("zeroblock");
    size_t jl;
    uint8_t *jpg = jpeg_bytes(&jl);
    sh("cd '%s' && head -c 512 /dev/zero > z.bin && cat '%s' >> z.bin && gzip -c z.bin > "
       "zeros.gz && head -c 100000 /dev/zero > e.bin && gzip -c e.bin > allzero.gz && "
       "rm z.bin e.bin && tar czf emptytar.tgz --files-from /dev/null",
       root, td_path(JPEG));
    tset t = walk(root);
    assert_true(find(&t, "zeros.gz", AD_ROW_FILE)->is_archive);
    const trow *m = find(&t, "zeros.gz!/z.bin", AD_ROW_FILE);
    assert_int_equal(m->len, 512 + jl);
    assert_memory_equal(m->data + 512, jpg, jl);
    assert_int_equal(find(&t, "allzero.gz!/e.bin", AD_ROW_FILE)->len, 100000);
    assert_true(find(&t, "emptytar.tgz", AD_ROW_FILE)->is_archive);
    int member = 0;
    for (size_t i = 0; i < t.n; i++)
        if (!strncmp(t.r[i].path, "emptytar.tgz!/", 14))
            member = 1;
    assert_true(member);
    tset_free(&t);
    free(jpg);
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_bombs(void **state)
{
    (void)state;
    const char *root = seizure("bombs");
    /* bomb.zip: 1 GiB of zeros, deflated once per MiB and the block repeated (fast to make) */
    py(root,
       "import zipfile, zlib, struct\n"
       "zero = bytes(1 << 20)\n"
       "co = zlib.compressobj(9, zlib.DEFLATED, -15)\n"
       "block = co.compress(zero) + co.flush(zlib.Z_FULL_FLUSH)\n"
       "crc = 0\n"
       "for i in range(1024): crc = zlib.crc32(zero, crc)\n"
       "out, cd = bytearray(), bytearray()\n"
       "def member(name, method, raw, crc, size):\n"
       "    global out, cd\n"
       "    cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, method, 0, 0x21,\n"
       "                      crc, len(raw), size, len(name), 0, 0, 0, 0, 0, len(out)) + name\n"
       "    out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, method, 0, 0x21, crc,\n"
       "                       len(raw), size, len(name), 0) + name + raw\n"
       "member(b'zeros.bin', 8, block * 1024 + b'\\x03\\x00', crc, 1 << 30)\n"
       "member(b'after.txt', 0, b'after', zlib.crc32(b'after'), 5)\n"
       "eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 2, 2, len(cd), len(out), 0)\n"
       "open('bomb.zip', 'wb').write(out + cd + eocd)\n"
       "with zipfile.ZipFile('many.zip', 'w') as z:\n"
       "    for i in range(300): z.writestr('f%03d' % i, b'')\n"
       "with zipfile.ZipFile('big.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
       "    z.writestr('big.bin', bytes(3 << 20)); z.writestr('small.txt', b'small')\n");
    long rss0 = maxrss_kib();
    tset t = walk(root);
    /* 1 GiB of zeros in a 1 MiB zip: stopped at the ratio limit, memory bounded */
    const trow *r = find(&t, "bomb.zip!/zeros.bin", AD_ROW_ERROR);
    assert_int_equal(r->code, AD_ERR_LIMIT);
    r = find(&t, "bomb.zip", AD_ROW_ARCHIVE_END);
    assert_int_equal(r->code, AD_ERR_LIMIT);
    assert_non_null(strstr(r->msg, "times its size"));
    assert_false(has_path(&t, "bomb.zip!/after.txt"));
    assert_true(maxrss_kib() - rss0 < 200 * 1024);
    assert_true(has_path(&t, "many.zip!/f299"));
    tset_free(&t);

    ad_source_opts o;
    ad_source_opts_default(&o);
    o.max_members = 100;
    o.max_member_bytes = 1 << 20;
    o.max_archive_bytes = 256ull << 20;
    o.max_ratio = 0;
    t = walk_opts(root, &o);
    /* members over the size limit are rows; the archive goes on */
    assert_int_equal(find(&t, "big.zip!/big.bin", AD_ROW_ERROR)->code, AD_ERR_LIMIT);
    assert_int_equal(find(&t, "big.zip!/small.txt", AD_ROW_FILE)->len, 5);
    /* entry count */
    assert_true(has_path(&t, "many.zip!/f099"));
    assert_false(has_path(&t, "many.zip!/f100"));
    assert_non_null(strstr(find(&t, "many.zip", AD_ROW_ARCHIVE_END)->msg, "entries"));
    /* total expanded bytes without the ratio */
    r = find(&t, "bomb.zip", AD_ROW_ARCHIVE_END);
    assert_non_null(strstr(r->msg, "more than 268435456 bytes"));
    tset_free(&t);
}

static void test_nested_bomb(void **state)
{
    (void)state;
    /* zips of zips (the 42.zip shape): the expansion of inner archives counts for the outer */
    const char *root = seizure("nested_bomb");
    py(root, "import zipfile, io\n"
             "def z(members):\n"
             "    b = io.BytesIO()\n"
             "    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as f:\n"
             "        for n, d in members: f.writestr(n, d)\n"
             "    return b.getvalue()\n"
             "leaf = z([('zeros', bytes(8 << 20))])\n"
             "mid = z([('l%d.zip' % i, leaf) for i in range(8)])\n"
             "open('nest.zip', 'wb').write(z([('m%d.zip' % i, mid) for i in range(8)]))\n");
    ad_source_opts o;
    ad_source_opts_default(&o);
    o.max_archive_bytes = 100ull << 20;
    o.max_ratio = 0;
    tset t = walk_opts(root, &o);
    const trow *end = find(&t, "nest.zip", AD_ROW_ARCHIVE_END);
    assert_int_equal(end->code, AD_ERR_LIMIT);
    /* the inner archives cut short say so, innermost first, before the outer one */
    size_t zeros = 0;
    for (size_t i = 0; i < t.n; i++)
        zeros += t.r[i].kind == AD_ROW_FILE && strstr(t.r[i].path, "zeros") != NULL;
    assert_true(zeros < 13);
    assert_int_equal(t.r[t.n - 1].kind, AD_ROW_ARCHIVE_END);
    assert_string_equal(t.r[t.n - 1].path, "nest.zip");
    tset_free(&t);
}

static void test_take_and_resume(void **state)
{
    (void)state;
    const char *root = seizure("take");
    sh("cd '%s' && cp '%s' a.jpg && zip -q z.zip a.jpg && tar cf t.tar z.zip a.jpg", root,
       td_path(JPEG));
    const char *roots[] = {root, root};
    ad_source *s;
    ad_err e;
    assert_int_equal(ad_source_new(&s, roots, 2, NULL, &e), AD_OK);
    const ad_row *row;
    size_t n = 0, taken = 0;
    uint8_t keys[64][32];
    while (ad_source_next(s, &row, &e) == AD_OK && row) {
        assert_true(n < 64);
        memcpy(keys[n], row->key, 32);
        assert_int_equal(row->root, n < 7 ? 0 : 1);
        size_t len;
        uint8_t *b = ad_source_take(s, &len);
        if (row->depth > 0) {
            assert_non_null(b);
            assert_int_equal(len, row->size);
            taken++;
        } else {
            assert_null(b);
        }
        free(b);
        n++;
    }
    ad_source_free(s);
    /* a.jpg, t.tar, t.tar!/z.zip, t.tar!/z.zip!/a.jpg, t.tar!/a.jpg, z.zip, z.zip!/a.jpg */
    assert_int_equal(n, 14);
    assert_int_equal(taken, 8);
    /* the same root given twice: its rows get other keys */
    for (size_t i = 0; i < 7; i++)
        assert_memory_not_equal(keys[i], keys[i + 7], 32);
}

/* What the pipeline does with the rows: files on disk hashed by path, members from memory, EXIF
 * from the bytes; the same picture gives the same digests wherever it was found. */
static void test_rows_to_hasher(void **state)
{
    (void)state;
    const char *root = seizure("hasher");
    const char *photo = "vectors/pdq/data/reg-test-input/exif-rotn/exif-rotn-6.jpg";
    sh("cd '%s' && cp '%s' a.jpg && zip -q z.zip a.jpg && tar czf t.tgz z.zip", root,
       td_path(photo));
    ad_hasher *h;
    ad_hash_opts ho;
    ad_hash_opts_default(&ho);
    ad_err e;
    assert_int_equal(ad_hasher_new(&h, &ho, &e), AD_OK);
    ad_file_hash ref;
    assert_int_equal(ad_hasher_file(h, td_path(photo), &ref, &e), AD_OK);
    const char *roots[] = {root};
    ad_source *s;
    assert_int_equal(ad_source_new(&s, roots, 1, NULL, &e), AD_OK);
    const ad_row *row;
    int pictures = 0;
    while (ad_source_next(s, &row, &e) == AD_OK && row) {
        assert_int_equal(row->kind, AD_ROW_FILE);
        ad_file_hash fh;
        ad_code rc = row->fs_path ? ad_hasher_file(h, row->fs_path, &fh, &e)
                                  : ad_hasher_buffer(h, row->data, row->len, &fh, &e);
        assert_int_equal(rc, AD_OK);
        if (row->is_archive)
            continue;
        assert_memory_equal(fh.digests.sha256, ref.digests.sha256, 32);
        assert_true(fh.has_pdq);
        if (row->data) {
            ad_exif x;
            assert_int_equal(ad_exif_read(row->data, row->len, &x, &e), AD_OK);
            assert_string_equal(x.model, "SM-G930V");
        }
        pictures++;
    }
    assert_int_equal(pictures, 3); /* a.jpg, t.tgz!/z.zip!/a.jpg, z.zip!/a.jpg */
    ad_source_free(s);
    ad_hasher_free(h);
}

static void test_duplicate_names(void **state)
{
    (void)state;
    /* a tar holding the same name twice (appended): two rows, one path, two keys */
    const char *root = seizure("duplicates");
    py(root,
       "import tarfile, io\n"
       "with tarfile.open('dup.tar', 'w') as t:\n"
       "    for d in [b'first', b'second']:\n"
       "        i = tarfile.TarInfo('x.jpg'); i.size = len(d); t.addfile(i, io.BytesIO(d))\n");
    tset t = walk(root);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.r[1].path, "dup.tar!/x.jpg");
    assert_string_equal(t.r[2].path, "dup.tar!/x.jpg");
    assert_memory_equal(t.r[1].data, "first", 5);
    assert_memory_equal(t.r[2].data, "second", 6);
    assert_memory_not_equal(t.r[1].key, t.r[2].key, 32);
    tset u = walk(root);
    assert_memory_equal(t.r[2].key, u.r[2].key, 32);
    tset_free(&u);
    tset_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_folders),
        cmocka_unit_test(test_links_and_specials),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_archive_formats),
        cmocka_unit_test(test_more_formats),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_traversal_names),
        cmocka_unit_test(test_broken_archives),
        cmocka_unit_test(test_zero_block_gzip),
        cmocka_unit_test(test_bombs),
        cmocka_unit_test(test_nested_bomb),
        cmocka_unit_test(test_take_and_resume),
        cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_rows_to_hasher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
