/* test_exif.c: EXIF clues: the values of a real phone photo (vectors' exif-rotn-6.jpg), a JPEG
 * written here with every field (GPS south and west, altitude below sea level, serial, lens,
 * time offset), the same EXIF in TIFF, PNG, WebP and HEIF, and hostile EXIF (loops, huge counts,
 * truncation, bad offsets, zero denominators) that must give an error or a partial result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/exif.h"
#include "testutil.h"

/* Writes TIFF/EXIF fixtures with Python: gps.jpg, gps.tif, gps.png, gps.webp, hostile-*.jpg. */
static const char *gen =
    "import struct, zlib, os, sys\n"
    "E = '<'\n"
    "def asc(t, s): b = s.encode() + b'\\0'; return (t, 2, len(b), b)\n"
    "def short(t, v): return (t, 3, 1, struct.pack(E + 'H', v))\n"
    "def byte(t, v): return (t, 1, 1, bytes([v]))\n"
    "def rat(t, *v): return (t, 5, len(v), b''.join(struct.pack(E + 'II', n, d) for n, d in v))\n"
    "def ptr(t, name): return (t, 4, 1, name)\n"
    "def tiff(ifds, order):\n"
    "    # ifds: name -> entries; pointers are entries whose data is another IFD's name\n"
    "    off, pos = {}, 8\n"
    "    for n in order:\n"
    "        off[n] = pos\n"
    "        pos += 2 + 12 * len(ifds[n]) + 4\n"
    "        pos += sum((len(e[3]) + 1) & ~1 for e in ifds[n] if isinstance(e[3], bytes) and "
    "len(e[3]) > 4)\n"
    "    out = bytearray(b'II*\\0' + struct.pack(E + 'I', 8))\n"
    "    for n in order:\n"
    "        es = sorted(ifds[n], key=lambda e: e[0])\n"
    "        data_at = off[n] + 2 + 12 * len(es) + 4\n"
    "        head, blob = struct.pack(E + 'H', len(es)), b''\n"
    "        for t, typ, cnt, d in es:\n"
    "            if isinstance(d, str): d = struct.pack(E + 'I', off[d])\n"
    "            if len(d) > 4:\n"
    "                v = struct.pack(E + 'I', data_at + len(blob)); blob += d + b'\\0' * (len(d) & "
    "1)\n"
    "            else: v = d + b'\\0' * (4 - len(d))\n"
    "            head += struct.pack(E + 'HHI', t, typ, cnt) + v\n"
    "        out += head + struct.pack(E + 'I', 0) + blob\n"
    "    return bytes(out)\n"
    "def jpeg(t, name):\n"
    "    base = open(sys.argv[1], 'rb').read()\n"
    "    app1 = b'Exif\\0\\0' + t\n"
    "    xmp = b'http://ns.adobe.com/xap/1.0/\\0<x/>'\n"
    "    seg = b'\\xff\\xe1' + struct.pack('>H', len(xmp) + 2) + xmp\n"
    "    seg += b'\\xff\\xe1' + struct.pack('>H', len(app1) + 2) + app1\n"
    "    open(name, 'wb').write(base[:2] + seg + base[2:])\n"
    "good = {\n"
    "  'ifd0': [asc(0x10f, 'TestMake'), asc(0x110, 'Model X'), asc(0x131, 'Ariadne 1.0'),\n"
    "           short(0x112, 8), asc(0x13b, 'Someone'), ptr(0x8769, 'exif'), ptr(0x8825, 'gps')],\n"
    "  'exif': [asc(0x9003, '2021:07:04 15:30:00'), asc(0x9011, '+02:00'), asc(0xa431, "
    "'SN12345'),\n"
    "           asc(0xa433, 'LensCo'), asc(0xa434, 'Zoom 18-55'), asc(0xa435, 'L999'),\n"
    "           asc(0xa430, 'Owner Name'), asc(0xa420, '0123456789abcdef0123456789abcdef')],\n"
    "  'gps': [asc(1, 'S'), rat(2, (33, 1), (51, 1), (2460, 100)), asc(3, 'W'),\n"
    "          rat(4, (151, 1), (12, 1), (3000, 100)), byte(5, 1), rat(6, (125, 10))]}\n"
    "t = tiff(good, ['ifd0', 'exif', 'gps'])\n"
    "jpeg(t, 'gps.jpg')\n"
    "open('gps.tif', 'wb').write(t)\n"
    "def chunk(k, d): return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + "
    "d))\n"
    "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 0, 0, 0, "
    "0))\n"
    "png += chunk(b'eXIf', t) + chunk(b'IDAT', zlib.compress(b'\\0\\0')) + chunk(b'IEND', b'')\n"
    "open('gps.png', 'wb').write(png)\n"
    "body = b'WEBP' + b'EXIF' + struct.pack('<I', len(t)) + t + b'\\0' * (len(t) & 1)\n"
    "open('gps.webp', 'wb').write(b'RIFF' + struct.pack('<I', len(body)) + body)\n"
    "# hostile\n"
    "loop = bytearray(tiff({'ifd0': [asc(0x10f, 'LoopMake'), ptr(0x8769, 'ifd0')]}, ['ifd0']))\n"
    "loop[8 + 2 + 24:8 + 2 + 28] = struct.pack('<I', 8)  # next IFD: itself\n"
    "jpeg(bytes(loop), 'hostile-loop.jpg')\n"
    "huge = bytearray(t); struct.pack_into('<I', huge, 8 + 2 + 4, 0x7fffffff)  # Make count\n"
    "jpeg(bytes(huge), 'hostile-count.jpg')\n"
    "many = b'II*\\0' + struct.pack('<I', 8) + struct.pack('<H', 0xffff) + b'\\x0f\\x01\\x02\\0' * "
    "8\n"
    "jpeg(many, 'hostile-entries.jpg')\n"
    "jpeg(t[:len(t) // 2], 'hostile-cut.jpg')\n"
    "jpeg(b'II*\\0' + struct.pack('<I', 0xfffffff0), 'hostile-offset.jpg')\n"
    "jpeg(bytes(os.urandom(300)), 'hostile-random.jpg')\n"
    "jpeg(b'MM', 'hostile-short.jpg')\n"
    "bad = dict(good); bad['gps'] = [asc(1, 'N'), rat(2, (1, 0), (2, 0), (3, 0)), asc(3, 'E'),\n"
    "                                 rat(4, (400, 1), (0, 1), (0, 1))]\n"
    "bad['exif'] = [asc(0x9003, '0000:00:00 00:00:00'), asc(0xa431, '\\x01\\x02 ')]\n"
    "jpeg(tiff(bad, ['ifd0', 'exif', 'gps']), 'hostile-values.jpg')\n"
    "wrong = {'ifd0': [(0x10f, 3, 4, b'\\1\\2\\3\\4\\5\\6\\7\\x08'), (0x112, 5, 1, b'\\0' * 8),\n"
    "                  (0x110, 99, 2, b'ab'), ptr(0x8825, 'gps')],\n"
    "         'gps': [(2, 2, 3, b'abc'), (4, 5, 1, struct.pack('<II', 1, 1))]}\n"
    "jpeg(tiff(wrong, ['ifd0', 'gps']), 'hostile-types.jpg')\n";

static const char *dir;

static int setup(void **state)
{
    (void)state;
    dir = td_tmpdir("exif");
    if (!dir)
        return -1;
    char path[4096], cmd[8192];
    snprintf(path, sizeof path, "%s/gen.py", dir);
    if (td_write_file(path, gen, strlen(gen)) != 0)
        return -1;
    const char *python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    snprintf(cmd, sizeof cmd, "cd '%s' && %s gen.py '%s'", dir, python,
             td_path("vectors/pdq/data/misc-images/small.jpg"));
    return system(cmd) == 0 ? 0 : -1;
}

static ad_code read_file(const char *path, ad_exif *x, ad_err *e)
{
    size_t len;
    uint8_t *b = td_read_file(path, &len);
    assert_non_null(b);
    ad_code rc = ad_exif_read(b, len, x, e);
    free(b);
    return rc;
}

static ad_code read_made(const char *name, ad_exif *x, ad_err *e)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return read_file(p, x, e);
}

static void test_phone_photo(void **state)
{
    (void)state;
    ad_exif x;
    ad_err e;
    assert_int_equal(
        read_file(td_path("vectors/pdq/data/reg-test-input/exif-rotn/exif-rotn-6.jpg"), &x, &e),
        AD_OK);
    assert_string_equal(x.make, "samsung");
    assert_string_equal(x.model, "SM-G930V");
    assert_int_equal(x.orientation, 6);
    assert_string_equal(x.capture_time, "2017-11-07T22:14:06");
    assert_true(x.has_capture);
    assert_false(x.capture_has_offset);
    assert_int_equal(x.capture_unix, 1510092846);
    assert_string_equal(x.software, "G930VVRS4BQI1");
    assert_string_equal(x.unique_id, "C12QSJK01SM");
    assert_true(x.has_gps);
    assert_true(fabs(x.latitude - 38.977935) < 1e-5);
    assert_true(fabs(x.longitude - -77.023203) < 1e-5);
    assert_string_equal(x.serial, "");
}

static void check_full(const ad_exif *x)
{
    assert_string_equal(x->make, "TestMake");
    assert_string_equal(x->model, "Model X");
    assert_string_equal(x->serial, "SN12345");
    assert_string_equal(x->lens_make, "LensCo");
    assert_string_equal(x->lens_model, "Zoom 18-55");
    assert_string_equal(x->lens_serial, "L999");
    assert_string_equal(x->software, "Ariadne 1.0");
    assert_string_equal(x->artist, "Someone");
    assert_string_equal(x->owner, "Owner Name");
    assert_string_equal(x->unique_id, "0123456789abcdef0123456789abcdef");
    assert_string_equal(x->capture_time, "2021-07-04T15:30:00+02:00");
    assert_true(x->capture_has_offset);
    assert_int_equal(x->capture_unix, 1625405400); /* 13:30:00 UTC */
    assert_int_equal(x->orientation, 8);
    assert_true(x->has_gps);
    assert_true(fabs(x->latitude - -(33 + 51 / 60.0 + 24.6 / 3600)) < 1e-9);
    assert_true(fabs(x->longitude - -(151 + 12 / 60.0 + 30.0 / 3600)) < 1e-9);
    assert_true(x->has_altitude);
    assert_true(fabs(x->altitude - -12.5) < 1e-9);
    assert_int_equal(x->fields, 14);
}

static void test_written_fields(void **state)
{
    (void)state;
    const char *files[] = {"gps.jpg", "gps.tif", "gps.png", "gps.webp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        ad_exif x;
        ad_err e;
        if (read_made(files[i], &x, &e) != AD_OK)
            fail_msg("%s: %s", files[i], e.msg);
        check_full(&x);
    }
}

static void test_heif(void **state)
{
    (void)state;
    if (access("/usr/bin/heif-enc", X_OK) != 0)
        skip();
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && heif-enc -q 50 gps.jpg -o gps.heic >/dev/null 2>&1", dir);
    if (system(cmd) != 0)
        skip(); /* no HEVC encoder in this libheif */
    ad_exif x;
    ad_err e;
    if (read_made("gps.heic", &x, &e) != AD_OK)
        fail_msg("heic: %s", e.msg);
    assert_string_equal(x.make, "TestMake");
    assert_string_equal(x.serial, "SN12345");
    assert_true(x.has_gps);
}

static void test_no_exif(void **state)
{
    (void)state;
    ad_exif x;
    ad_err e;
    assert_int_equal(read_file(td_path("vectors/pdq/data/misc-images/small.jpg"), &x, &e),
                     AD_ERR_NOT_FOUND);
    assert_int_equal(x.fields, 0);
    assert_int_equal(ad_exif_read((const uint8_t *)"", 0, &x, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_exif_read((const uint8_t *)"\xff\xd8\xff", 3, &x, &e), AD_ERR_NOT_FOUND);
}

static void test_hostile(void **state)
{
    (void)state;
    const char *files[] = {"hostile-loop.jpg",  "hostile-count.jpg",  "hostile-entries.jpg",
                           "hostile-cut.jpg",   "hostile-offset.jpg", "hostile-random.jpg",
                           "hostile-short.jpg", "hostile-values.jpg", "hostile-types.jpg"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        ad_exif x;
        ad_err e;
        ad_code rc = read_made(files[i], &x, &e);
        assert_true(rc == AD_OK || rc == AD_ERR_CORRUPT);
        assert_true(strlen(x.make) < sizeof x.make);
        assert_true(x.orientation >= 0 && x.orientation <= 8);
    }
    ad_exif x;
    ad_err e;
    assert_int_equal(read_made("hostile-loop.jpg", &x, &e), AD_OK);
    assert_string_equal(x.make, "LoopMake");
    assert_int_equal(read_made("hostile-short.jpg", &x, &e), AD_ERR_CORRUPT);
    /* the truncated block keeps what is whole */
    read_made("hostile-cut.jpg", &x, &e);
    assert_string_equal(x.make, "TestMake");
    /* invalid values are left out, the rest is kept */
    assert_int_equal(read_made("hostile-values.jpg", &x, &e), AD_OK);
    assert_false(x.has_gps);
    assert_false(x.has_capture);
    assert_string_equal(x.serial, "??");
    assert_string_equal(x.make, "TestMake");
    assert_int_equal(read_made("hostile-types.jpg", &x, &e), AD_OK);
    assert_int_equal(x.orientation, 0);
    assert_false(x.has_gps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phone_photo), cmocka_unit_test(test_written_fields),
        cmocka_unit_test(test_heif),        cmocka_unit_test(test_no_exif),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
