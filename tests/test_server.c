/* test_server.c: the HTTP layer (src/server/) in process, over real HTTP on 127.0.0.1 with
 * libcurl: the pieces (path patterns, the Bearer header, the strict JSON checker, token buckets,
 * access log lines), then a server with test routes plugged into the route table (a body route,
 * path parameters, a handler error, a slow route): every class of bad request answered with its
 * problem (400 malformed JSON or duplicates, 413 too large, 415 wrong type, 422 unknown member,
 * wrong type, missing member, bad hash, each with its field), and the graceful stop with a request
 * in flight. Also: the routes the server answers are the routes docs/openapi.json lists. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/server.h"
#include "ariadne/store.h"
#include "server/http.h"
#include "testutil.h"

#define OK(x) assert_int_equal((x), AD_OK)

/* ---- pieces ------------------------------------------------------------------------------- */

static void t_route_match(void **state)
{
    (void)state;
    ad_route_param p[AD_ROUTE_PARAMS];
    int n = -1;
    assert_true(ad_route_match("/v1/me", "/v1/me", p, &n));
    assert_int_equal(n, 0);
    assert_false(ad_route_match("/v1/me", "/v1/me/", p, &n));
    assert_false(ad_route_match("/v1/me", "/v1/m", p, &n));
    assert_true(ad_route_match("/v1/media/{hash}", "/v1/media/abc", p, &n));
    assert_int_equal(n, 1);
    assert_int_equal(p[0].name_len, 4);
    assert_memory_equal(p[0].name, "hash", 4);
    assert_int_equal(p[0].value_len, 3);
    assert_memory_equal(p[0].value, "abc", 3);
    assert_false(ad_route_match("/v1/media/{hash}", "/v1/media/", p, &n));
    assert_false(ad_route_match("/v1/media/{hash}", "/v1/media/a/b", p, &n));
    assert_true(ad_route_match("/a/{x}/b/{y}", "/a/1/b/2", p, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(p[1].value, "2", 1);

    static const ad_http_route table[] = {
        {"GET", "/v1/x", NULL, NULL, NULL, NULL, NULL, 0},
        {"POST", "/v1/x", NULL, NULL, NULL, NULL, NULL, 0},
        {"DELETE", "/v1/x/{id}", NULL, NULL, NULL, NULL, NULL, 0},
    };
    char allow[64];
    assert_int_equal(ad_route_find(table, 3, "HEAD", "/v1/x", p, &n, allow, sizeof allow), 0);
    assert_int_equal(ad_route_find(table, 3, "POST", "/v1/x", p, &n, allow, sizeof allow), 1);
    assert_int_equal(ad_route_find(table, 3, "PUT", "/v1/x", p, &n, allow, sizeof allow), -2);
    assert_string_equal(allow, "GET, HEAD, POST");
    assert_int_equal(ad_route_find(table, 3, "GET", "/v1/x/9", p, &n, allow, sizeof allow), -2);
    assert_string_equal(allow, "DELETE");
    assert_int_equal(ad_route_find(table, 3, "GET", "/v1/y", p, &n, allow, sizeof allow), -1);
}

static void t_bearer(void **state)
{
    (void)state;
    const char *k;
    size_t n;
    assert_int_equal(ad_http_bearer("Bearer ak_1", &k, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(k, "ak_1", 4);
    assert_int_equal(ad_http_bearer("bearer   ak_1  ", &k, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(ad_http_bearer("Basic abc", &k, &n), -1);
    assert_int_equal(ad_http_bearer("Bearer", &k, &n), -1);
    assert_int_equal(ad_http_bearer("Bearer ", &k, &n), -1);
    assert_int_equal(ad_http_bearer("Bearerak_1", &k, &n), -1);
    assert_int_equal(ad_http_bearer("Bearer a b", &k, &n), -1);
    assert_int_equal(ad_http_bearer("Bearer \xc3\xa9", &k, &n), -1);
    assert_int_equal(ad_http_bearer(NULL, &k, &n), -1);
    char long_key[300];
    memset(long_key, 'a', sizeof long_key);
    memcpy(long_key, "Bearer ", 7);
    long_key[sizeof long_key - 1] = 0;
    assert_int_equal(ad_http_bearer(long_key, &k, &n), -1);
}

/* the schema of the test body route */
static const ad_jschema s_str = {AD_J_STRING, 1, 64, NULL, NULL, NULL};
static const ad_jschema s_count = {AD_J_INT, 0, 10, NULL, NULL, NULL};
static const ad_jschema s_hex = {AD_J_HEX, 32, 64, NULL, NULL, NULL};
static const ad_jschema s_hashes = {AD_J_ARRAY, 0, 3, NULL, &s_hex, NULL};
static const ad_jschema s_bool = {AD_J_BOOL, 0, 0, NULL, NULL, NULL};
static const char *const kinds[] = {"md5", "pdq", NULL};
static const ad_jschema s_kind = {AD_J_STRING, 0, 0, NULL, NULL, kinds};
static const ad_jmember inner_m[] = {{"kind", &s_kind, 1}, {NULL, NULL, 0}};
static const ad_jschema s_inner = {AD_J_OBJECT, 0, 0, inner_m, NULL, NULL};
static const ad_jmember echo_m[] = {{"name", &s_str, 1},      {"count", &s_count, 0},
                                    {"hashes", &s_hashes, 0}, {"flag", &s_bool, 0},
                                    {"in/ner", &s_inner, 0},  {NULL, NULL, 0}};
static const ad_jschema s_echo = {AD_J_OBJECT, 0, 0, echo_m, NULL, NULL};

/* checks text against s_echo: the code, and the field */
static void check_body(const char *text, ad_code want, const char *field)
{
    json_t *v;
    ad_err err;
    char f[128];
    ad_code rc = ad_json_parse_body(text, strlen(text), &v, &err);
    if (rc == AD_OK) {
        rc = ad_jcheck(v, &s_echo, f, sizeof f, &err);
        json_decref(v);
    } else {
        f[0] = 0;
    }
    if (rc != want)
        fail_msg("%s: %s (code %d, want %d)", text, err.msg, rc, want);
    if (field)
        assert_string_equal(f, field);
}

static void t_jcheck(void **state)
{
    (void)state;
    check_body("{\"name\":\"a\"}", AD_OK, "");
    check_body("{\"name\":\"a\",\"count\":10,\"hashes\":[\"00112233445566778899aabbccddeeff\"],"
               "\"flag\":true,\"in/ner\":{\"kind\":\"pdq\"}}",
               AD_OK, "");
    check_body("{\"name\":", AD_ERR_PARSE, NULL);
    check_body("", AD_ERR_PARSE, NULL);
    check_body("{\"name\":\"a\"} x", AD_ERR_PARSE, NULL);
    check_body("{\"name\":\"a\",\"name\":\"b\"}", AD_ERR_PARSE, NULL);
    check_body("{\"name\":\"\xff\"}", AD_ERR_PARSE, NULL);
    check_body("{\"name\":\"a\\u0000b\"}", AD_ERR_PARSE, NULL);
    check_body(
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        "]]]]]]]]]]]]]]]]]]]]]",
        AD_ERR_PARSE, NULL);
    check_body("[]", AD_ERR_ARG, "");
    check_body("{}", AD_ERR_ARG, "/name");
    check_body("{\"name\":1}", AD_ERR_ARG, "/name");
    check_body("{\"name\":\"\"}", AD_ERR_ARG, "/name");
    check_body("{\"name\":\"a\",\"x\":1}", AD_ERR_ARG, "/x");
    check_body("{\"name\":\"a\",\"count\":11}", AD_ERR_ARG, "/count");
    check_body("{\"name\":\"a\",\"count\":1.5}", AD_ERR_ARG, "/count");
    check_body("{\"name\":\"a\",\"count\":\"1\"}", AD_ERR_ARG, "/count");
    check_body("{\"name\":\"a\",\"hashes\":[\"zz\"]}", AD_ERR_ARG, "/hashes/0");
    check_body("{\"name\":\"a\",\"hashes\":[\"00112233445566778899aabbccddeef\"]}", AD_ERR_ARG,
               "/hashes/0");
    check_body("{\"name\":\"a\",\"hashes\":[\"00\",\"11\",\"22\",\"33\"]}", AD_ERR_ARG, "/hashes");
    check_body("{\"name\":\"a\",\"flag\":1}", AD_ERR_ARG, "/flag");
    check_body("{\"name\":\"a\",\"in/ner\":{\"kind\":\"sha\"}}", AD_ERR_ARG, "/in~1ner/kind");
    check_body("{\"name\":\"a\",\"in/ner\":{}}", AD_ERR_ARG, "/in~1ner/kind");
}

/* The buffered access log: lines of several threads, some larger than the buffer, each whole
 * in the file after a flush and the close; nothing before a flush (but what overflowed). */
typedef struct {
    ad_alog *l;
    int id;
} alog_writer;

static void *alog_lines(void *p)
{
    alog_writer *w = p;
    for (int i = 0; i < 500; i++) {
        char line[700];
        int pad = i % 50 == 7 ? 600 : i % 13;
        int n = snprintf(line, sizeof line, "{\"w\":%d,\"i\":%d,\"pad\":\"%.*s\"}\n", w->id, i, pad,
                         "................................................................"
                         "................................................................"
                         "................................................................"
                         "................................................................"
                         "................................................................"
                         "................................................................"
                         "................................................................"
                         "................................................................"
                         "................................................................"
                         "................................................................");
        ad_alog_raw(w->l, line, (size_t)n);
    }
    return NULL;
}

static void t_alog_buffered(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/buffered.log", td_tmpdir("test_server_alog"));
    unlink(path);
    ad_alog *l;
    ad_err err;
    OK(ad_alog_open(&l, path, &err));
    OK(ad_alog_buffer(l, 512, &err)); /* smaller than some lines */
    ad_alog_raw(l, "{\"first\":1}\n", 12);
    size_t n;
    uint8_t *b = td_read_file(path, &n);
    assert_int_equal(n, 0); /* still in the buffer */
    free(b);
    ad_alog_flush(l);
    b = td_read_file(path, &n);
    assert_int_equal(n, 12);
    free(b);
    pthread_t t[4];
    alog_writer w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (alog_writer){l, i};
        pthread_create(&t[i], NULL, alog_lines, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ad_alog_close(l);
    char *text = (char *)td_read_file(path, &n);
    assert_non_null(text);
    int seen[4][500];
    memset(seen, 0, sizeof seen);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        json_error_t je;
        json_t *v = json_loads(line, 0, &je);
        if (!v)
            fail_msg("a broken line: %s", line);
        json_t *wi = json_object_get(v, "w");
        if (wi)
            seen[json_integer_value(wi)][json_integer_value(json_object_get(v, "i"))]++;
        json_decref(v);
    }
    free(text);
    assert_int_equal(lines, 1 + 4 * 500);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 500; k++)
            assert_int_equal(seen[i][k], 1);
}

/* Metrics counted by several threads (each in its own shard) read as their sums. */
static ad_metrics *g_metrics;

static void *count_requests(void *p)
{
    (void)p;
    for (int i = 0; i < 1000; i++) {
        ad_metrics_inflight(g_metrics, 1);
        ad_metrics_request(g_metrics, 0, i % 10 ? 200 : 404, 150);
        ad_metrics_inflight(g_metrics, -1);
    }
    ad_metrics_inflight(g_metrics, 1); /* one left in flight by each thread */
    return NULL;
}

static void t_metrics_threads(void **state)
{
    (void)state;
    static const ad_http_route one[] = {{"GET", "/v1/x", NULL, NULL, NULL, NULL, NULL, 0}};
    g_metrics = ad_metrics_new(one, 1);
    pthread_t t[12]; /* more threads than shards */
    for (int i = 0; i < 12; i++)
        pthread_create(&t[i], NULL, count_requests, NULL);
    for (int i = 0; i < 12; i++)
        pthread_join(t[i], NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    ad_metrics_write(g_metrics, o, 1.0);
    fclose(o);
    assert_non_null(strstr(text, "ariadne_http_requests_total{method=\"GET\",route=\"/v1/x\","
                                 "status=\"200\"} 10800\n"));
    assert_non_null(strstr(text, "ariadne_http_requests_total{method=\"GET\",route=\"/v1/x\","
                                 "status=\"404\"} 1200\n"));
    assert_non_null(strstr(text, "ariadne_http_request_duration_seconds_count{method=\"GET\","
                                 "route=\"/v1/x\"} 12000\n"));
    assert_non_null(strstr(text, "ariadne_http_request_duration_seconds_sum{method=\"GET\","
                                 "route=\"/v1/x\"} 1.800000\n"));
    assert_non_null(strstr(text, "ariadne_http_requests_in_flight 12\n"));
    free(text);
    ad_metrics_free(g_metrics);
}

/* The quick reader of match bodies: 1 when it takes body, then the general way (jansson and
 * ad_match_request_parse) reads the very same request; *q keeps it for the caller (to free). */
static int quick(const char *body, ad_match_request *q)
{
    if (!ad_match_quick(body, strlen(body), q))
        return 0;
    json_error_t je;
    json_t *v = json_loads(body, 0, &je);
    ad_match_request g;
    ad_err err;
    assert_non_null(v);
    OK(ad_match_request_parse(v, &g, &err));
    assert_int_equal(q->n, g.n);
    assert_memory_equal(q->v, g.v, g.n * sizeof *g.v); /* every field, zeros alike */
    ad_match_request_free(&g);
    json_decref(v);
    return 1;
}

static void t_match_quick(void **state)
{
    (void)state;
    ad_match_request q;
    static const char z64[] = "0000000000000000000000000000000000000000000000000000000000000000";
    char b[2048];
    /* taken: digests of each kind, PDQs with and without radius, the 8 forms, white space */
    assert_true(
        quick("{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeeff\"},"
              "{\"value\":\"00112233445566778899AABBCCDDEEFF00112233\",\"type\":\"sha1\"}]}",
              &q));
    assert_int_equal(q.n, 2);
    assert_int_equal(q.v[0].type, AD_MATCH_MD5);
    assert_int_equal(q.v[0].digest[15], 0xff);
    assert_int_equal(q.v[1].type, AD_MATCH_SHA1);
    assert_int_equal(q.v[1].digest[19], 0x33);
    ad_match_request_free(&q);
    snprintf(b, sizeof b, "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"%.63s1\"}]}", z64);
    assert_true(quick(b, &q));
    assert_int_equal(q.v[0].npdq, 1);
    assert_int_equal(q.v[0].radius, AD_MATCH_RADIUS_MAX);
    assert_int_equal(q.v[0].pdq[0].b[31], 1);
    ad_match_request_free(&q);
    snprintf(b, sizeof b,
             " {\r\n\t\"hashes\" : [ { \"radius\" : 0 , \"type\" : \"pdq\" , \"dihedral\" : "
             "[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%.62s07\"] } ] } \n",
             z64, z64, z64, z64, z64, z64, z64, z64);
    assert_true(quick(b, &q));
    assert_int_equal(q.v[0].npdq, 8);
    assert_int_equal(q.v[0].radius, 0);
    assert_int_equal(q.v[0].pdq[7].b[31], 7);
    ad_match_request_free(&q);
    snprintf(b, sizeof b, "{\"hashes\":[{\"type\":\"sha256\",\"value\":\"%s\"}]}", z64);
    assert_true(quick(b, &q));
    ad_match_request_free(&q);
    /* left to the general way: anything unusual, wrong or unknown */
    static const char *const odd[] = {
        "",
        "{}",
        "{\"hashes\":[]}",
        "{\"hashes\":[{}]}",
        "[{\"type\":\"md5\"}]",
        "{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeeff\"}]} x",
        "{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeeff\"}],\"n\":1}",
        "{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeeff\",\"type\":"
        "\"md5\"}]}",
        "{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeeff\","
        "\"radius\":3}]}",
        "{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeef\"}]}",
        "{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeegg\"}]}",
        "{\"hashes\":[{\"type\":\"sha1\",\"value\":\"00112233445566778899aabbccddeeff\"}]}",
        "{\"hashes\":[{\"type\":\"m\\u0064\\u0035\",\"value\":\"00112233445566778899aabbccddeeff\"}"
        "]}",
        "{\"hashes\":[{\"type\":\"md5\"}]}",
        "{\"hashes\":[{\"type\":\"vpdq\",\"frames\":[]}]}",
        "{\"hashes\":[{\"type\":\"md5\",\"value\":\"00112233445566778899aabbccddeeff\",}]}",
        NULL};
    for (const char *const *o = odd; *o; o++)
        if (quick(*o, &q))
            fail_msg("the quick reader took %s", *o);
    static const char *const radius[] = {"07", "32", "-1", "1.0", "1e1", "3100", "\"3\"", NULL};
    for (const char *const *r = radius; *r; r++) {
        snprintf(b, sizeof b, "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"%s\",\"radius\":%s}]}",
                 z64, *r);
        if (quick(b, &q))
            fail_msg("the quick reader took %s", b);
    }
    snprintf(b, sizeof b, "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"%s\",\"dihedral\":[]}]}",
             z64);
    assert_false(quick(b, &q));
    /* as many hashes as a request takes, and one more (the general way's 413) */
    size_t cap = (AD_MATCH_MAX_HASHES + 1) * 64 + 32;
    char *big = malloc(cap);
    size_t n = (size_t)snprintf(big, cap, "{\"hashes\":[");
    for (int i = 0; i < AD_MATCH_MAX_HASHES; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s{\"type\":\"md5\",\"value\":\"%.32s\"}",
                              i ? "," : "", z64);
    snprintf(big + n, cap - n, "]}");
    assert_true(quick(big, &q));
    assert_int_equal(q.n, AD_MATCH_MAX_HASHES);
    ad_match_request_free(&q);
    snprintf(big + n, cap - n, ",{\"type\":\"md5\",\"value\":\"%.32s\"}]}", z64);
    assert_false(quick(big, &q));
    free(big);
}

static void t_buckets(void **state)
{
    (void)state;
    ad_buckets *b = ad_buckets_new(16, 3, 1);
    assert_non_null(b);
    double wait = 0;
    for (int i = 0; i < 3; i++)
        assert_true(ad_buckets_take(b, "a", 1, 100.0, &wait));
    assert_false(ad_buckets_peek(b, "a", 1, 100.0, &wait));
    assert_false(ad_buckets_take(b, "a", 1, 100.0, &wait));
    assert_true(wait > 0 && wait <= 1);
    assert_true(ad_buckets_take(b, "b", 1, 100.0, &wait)); /* another key has its own */
    assert_true(ad_buckets_take(b, "a", 1, 101.0, &wait)); /* one second: one token */
    assert_false(ad_buckets_take(b, "a", 1, 101.0, &wait));
    /* many keys: the table stays bounded, the busiest recent keys keep their state */
    for (int i = 0; i < 1000; i++)
        ad_buckets_take(b, &i, sizeof i, 102.0, &wait);
    ad_buckets_free(b);
}

static void t_alog_line(void **state)
{
    (void)state;
    char user[300];
    memset(user, 'u', sizeof user);
    memcpy(user, "a\"b\\c\n\x01\xff", 9);
    user[sizeof user - 1] = 0;
    ad_alog_entry e = {1767225600.25, "::1", "0123abcd", user,  "GET", "/v1/me",
                       200,           12,    345,        67890, NULL};
    char line[2048];
    size_t n = ad_alog_format(&e, line, sizeof line);
    assert_int_equal(line[n - 1], '\n');
    json_error_t je;
    json_t *v = json_loadb(line, n, 0, &je);
    if (!v)
        fail_msg("%s: %s", line, je.text);
    assert_string_equal(json_string_value(json_object_get(v, "time")),
                        "2026-01-01T00:00:00.250000Z");
    assert_int_equal(json_integer_value(json_object_get(v, "status")), 200);
    assert_int_equal(json_integer_value(json_object_get(v, "us")), 67890);
    assert_true(json_is_null(json_object_get(v, "problem")));
    assert_int_equal(strncmp(json_string_value(json_object_get(v, "user")), "a\"b\\c\n\x01", 7), 0);
    json_decref(v);
    /* a line that does not fit is cut but stays one JSON object */
    char small[200];
    n = ad_alog_format(&e, small, sizeof small);
    assert_true(n < sizeof small);
    assert_int_equal(small[n - 1], '\n');
    assert_int_equal(small[n - 2], '}');
}

/* ---- a server with test routes ----------------------------------------------------------- */

static ad_server *g_srv;
static char g_base[128], g_key[AD_API_KEY_MAX], g_revoked[AD_API_KEY_MAX], g_log[512];
static int g_slow_in, g_slow_go;

static ad_code echo(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    (void)err;
    rp->json = json_pack("{s:O, s:s}", "body", ad_http_body(rq), "user", ad_http_who(rq)->user);
    rp->status = 201;
    return AD_OK;
}

static ad_code parts(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    (void)err;
    const char *page = ad_http_query(rq, "page");
    rp->json = json_pack("{s:s, s:s, s:s?}", "id", ad_http_param(rq, "id"), "part",
                         ad_http_param(rq, "part"), "page", page);
    return AD_OK;
}

static ad_code failing(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    snprintf(rp->field, sizeof rp->field, "id");
    return ad_err_set(err, AD_ERR_NOT_FOUND, "no item %s", ad_http_param(rq, "id"));
}

static ad_code slow(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    (void)rq;
    (void)err;
    __atomic_store_n(&g_slow_in, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 2000 && !__atomic_load_n(&g_slow_go, __ATOMIC_SEQ_CST); i++)
        usleep(5000);
    rp->text = "done";
    rp->len = 4;
    return AD_OK;
}

static const char *const page_q[] = {"page", NULL};
static const ad_http_route test_routes[] = {
    {"POST", "/v1/test/echo", echo, "test.echo", "Echo", &s_echo, NULL, 0},
    {"GET", "/v1/test/items/{id}/parts/{part}", parts, "test.read", NULL, NULL, page_q, 0},
    {"GET", "/v1/test/fail/{id}", failing, "test.read", NULL, NULL, NULL, 0},
    {"GET", "/v1/test/slow", slow, NULL, NULL, NULL, NULL, AD_ROUTE_PUBLIC},
};

typedef struct {
    long status;
    char body[1 << 18];
    size_t len;
    char headers[8192];
    size_t hlen;
    CURLcode rc;
} reply;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    reply *r = ctx;
    size_t k = size * n;
    if (r->len + k < sizeof r->body) {
        memcpy(r->body + r->len, p, k);
        r->len += k;
        r->body[r->len] = 0;
    }
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    reply *r = ctx;
    size_t k = size * n;
    if (r->hlen + k < sizeof r->headers) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = 0;
    }
    return k;
}

/* One request: method, path, key (NULL: none), body (NULL: none) with its content type. */
static void call(reply *r, const char *method, const char *path, const char *key, const char *type,
                 const char *body, long body_len)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[512], auth[256], ctype[256];
    snprintf(url, sizeof url, "%s%s", g_base, path);
    struct curl_slist *h = NULL;
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    snprintf(ctype, sizeof ctype, "Content-Type: %s", type ? type : "");
    h = curl_slist_append(h, ctype);
    if (body_len < 0)
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (body_len >= 0)
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

/* r is a problem of this status (and field, when given; "" for none). */
static void is_problem(const reply *r, long status, const char *field)
{
    if (r->status != status)
        fail_msg("status %ld (curl %d), want %ld: %s", r->status, (int)r->rc, status, r->body);
    if (!strstr(r->headers, "Content-Type: application/problem+json"))
        fail_msg("not problem+json: %s", r->headers);
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "status")), status);
    assert_non_null(strstr(json_string_value(json_object_get(v, "type")), "tag:ariadne,2026:"));
    assert_true(json_is_string(json_object_get(v, "title")));
    assert_true(json_is_string(json_object_get(v, "detail")));
    const char *f = json_string_value(json_object_get(v, "field"));
    if (field && *field) {
        if (!f || strcmp(f, field))
            fail_msg("field %s, want %s: %s", f ? f : "(none)", field, r->body);
    } else if (field) {
        assert_null(f);
    }
    json_decref(v);
}

static int setup_server(void **state)
{
    (void)state;
    const char *dir = td_tmpdir("test_server");
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s/s.db", dir);
    snprintf(g_log, sizeof g_log, "%s/access.log", dir);
    ad_store *st;
    ad_err err;
    if (ad_store_open(&st, url, AD_STORE_CREATE, &err) != AD_OK)
        fail_msg("%s", err.msg);
    ad_agency a = {0, "Unit", "NL", "police", 0};
    int64_t aid, uid;
    OK(ad_store_agency_add(st, &a, &aid, &err));
    OK(ad_store_user_add(st, aid, "alice", AD_ROLE_INVESTIGATOR, &uid, g_key, &err));
    OK(ad_store_user_add(st, aid, "mallory", AD_ROLE_ANALYST, &uid, g_revoked, &err));
    OK(ad_store_user_revoke(st, uid, &err));
    ad_store_close(st);
    ad_server_opts o = {0};
    o.db_url = url;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    o.max_body = 1024;
    o.access_log = g_log;
    o.routes = test_routes;
    o.n_routes = sizeof test_routes / sizeof test_routes[0];
    if (ad_server_start(&g_srv, &o, &err) != AD_OK)
        fail_msg("%s", err.msg);
    snprintf(g_base, sizeof g_base, "http://%s", ad_server_address(g_srv));
    return 0;
}

static int teardown_server(void **state)
{
    (void)state;
    ad_server_stop(g_srv, 5);
    g_srv = NULL;
    return 0;
}

#define JSON "application/json"

static void t_bodies(void **state)
{
    (void)state;
    reply r;
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"name\":\"x\",\"count\":2}", -2);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"user\":\"alice\""));
    assert_non_null(strstr(r.body, "\"count\":2"));
    call(&r, "POST", "/v1/test/echo", g_key, "application/json; charset=UTF-8", "{\"name\":\"x\"}",
         -2);
    assert_int_equal(r.status, 201);
    /* bodies that cannot be read: 400 */
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"name\":", -2);
    is_problem(&r, 400, "");
    assert_non_null(strstr(r.body, "malformed JSON"));
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"name\":\"a\",\"name\":\"b\"}", -2);
    is_problem(&r, 400, "");
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"name\":\"\xc3\"}", -2);
    is_problem(&r, 400, "");
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "", 0);
    is_problem(&r, 400, "");
    /* read, but not valid: 422 with the member at fault */
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"name\":\"a\",\"extra\":1}", -2);
    is_problem(&r, 422, "/extra");
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"name\":7}", -2);
    is_problem(&r, 422, "/name");
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"count\":1}", -2);
    is_problem(&r, 422, "/name");
    call(&r, "POST", "/v1/test/echo", g_key, JSON, "{\"name\":\"a\",\"hashes\":[\"xyz\"]}", -2);
    is_problem(&r, 422, "/hashes/0");
    /* too large: by its Content-Length, and chunked (no length given) */
    char big[2048];
    memset(big, ' ', sizeof big);
    memcpy(big, "{\"name\":\"a\"}", 12);
    big[sizeof big - 1] = 0;
    call(&r, "POST", "/v1/test/echo", g_key, JSON, big, -2);
    is_problem(&r, 413, "");
    call(&r, "POST", "/v1/test/echo", g_key, JSON, big, -1);
    is_problem(&r, 413, "");
    /* not JSON: 415 */
    call(&r, "POST", "/v1/test/echo", g_key, "text/plain", "{\"name\":\"x\"}", -2);
    is_problem(&r, 415, "");
    call(&r, "POST", "/v1/test/echo", g_key, NULL, "{\"name\":\"x\"}", -2);
    is_problem(&r, 415, "");
    call(&r, "POST", "/v1/test/echo", g_key, "application/json; charset=latin1", "{}", -2);
    is_problem(&r, 415, "");
    /* the key is checked before the body is read */
    call(&r, "POST", "/v1/test/echo", NULL, JSON, big, -2);
    is_problem(&r, 401, "");
    /* a route without a body refuses one */
    call(&r, "GET", "/v1/me", g_key, JSON, "{}", -2);
    is_problem(&r, 413, "");
}

static void t_routes(void **state)
{
    (void)state;
    reply r;
    call(&r, "GET", "/v1/test/items/7/parts/left?page=3", g_key, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"id\":\"7\",\"part\":\"left\",\"page\":\"3\"}");
    call(&r, "GET", "/v1/test/items/7/parts/left?pages=3", g_key, NULL, NULL, 0);
    is_problem(&r, 400, "pages");
    call(&r, "GET", "/v1/test/items/7/parts", g_key, NULL, NULL, 0);
    is_problem(&r, 404, "");
    call(&r, "GET", "/v1/test/fail/9", g_key, NULL, NULL, 0);
    is_problem(&r, 404, "id");
    assert_non_null(strstr(r.body, "no item 9"));
    call(&r, "DELETE", "/v1/test/echo", g_key, NULL, NULL, 0);
    is_problem(&r, 405, "");
    assert_non_null(strstr(r.headers, "Allow: POST"));
    call(&r, "GET", "/v1/me", g_key, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"role\":\"investigator\""));
    call(&r, "HEAD", "/v1/me", g_key, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    call(&r, "GET", "/v1/me", g_revoked, NULL, NULL, 0);
    is_problem(&r, 401, "");
    assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
    call(&r, "GET", "/v1/me", NULL, NULL, NULL, 0);
    is_problem(&r, 401, "");
    call(&r, "GET", "/v1/openapi.json", NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, ad_openapi_json_len);
    call(&r, "GET", "/metrics", NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "ariadne_http_requests_total{method=\"GET\",route=\"/v1/me\","
                                   "status=\"200\"}"));
    assert_non_null(strstr(r.body, "ariadne_http_auth_failures_total{reason=\"refused\"} 1"));
}

typedef struct {
    reply r;
    const char *path;
} bg_call;

static void *call_bg(void *p)
{
    bg_call *b = p;
    call(&b->r, "GET", b->path, NULL, NULL, NULL, 0);
    return NULL;
}

static void *stop_bg(void *p)
{
    (void)p;
    ad_server_stop(g_srv, 20);
    return NULL;
}

/* the graceful stop: a request in flight is answered whole, no new connection is taken */
static void t_graceful_stop(void **state)
{
    (void)state;
    bg_call *b = calloc(1, sizeof *b);
    b->path = "/v1/test/slow";
    pthread_t ta, ts;
    pthread_create(&ta, NULL, call_bg, b);
    while (!__atomic_load_n(&g_slow_in, __ATOMIC_SEQ_CST))
        usleep(2000);
    pthread_create(&ts, NULL, stop_bg, NULL);
    usleep(200 * 1000);
    reply r;
    call(&r, "GET", "/healthz", NULL, NULL, NULL, 0);
    assert_int_equal(r.rc, CURLE_COULDNT_CONNECT);
    __atomic_store_n(&g_slow_go, 1, __ATOMIC_SEQ_CST);
    pthread_join(ta, NULL);
    pthread_join(ts, NULL);
    g_srv = NULL;
    assert_int_equal(b->r.rc, CURLE_OK);
    assert_int_equal(b->r.status, 200);
    assert_string_equal(b->r.body, "done");
    free(b);
    /* the log was flushed: every line is a JSON object, the slow request's among them */
    size_t n;
    char *log = (char *)td_read_file(g_log, &n);
    assert_non_null(log);
    int lines = 0, slow_seen = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        json_error_t je;
        json_t *v = json_loads(line, 0, &je);
        if (!v)
            fail_msg("access log line is not JSON: %s", line);
        const char *route = json_string_value(json_object_get(v, "route"));
        slow_seen |= route && !strcmp(route, "/v1/test/slow") &&
                     json_integer_value(json_object_get(v, "status")) == 200;
        json_decref(v);
    }
    free(log);
    assert_true(lines > 20);
    assert_true(slow_seen);
}

/* ---- the routes the server answers are the routes docs/openapi.json lists ----------------- */

static void t_openapi_routes(void **state)
{
    (void)state;
    json_error_t je;
    json_t *doc = json_load_file(td_path("../docs/openapi.json"), 0, &je);
    if (!doc)
        fail_msg("docs/openapi.json: %s", je.text);
    /* the embedded copy is the file */
    size_t flen;
    uint8_t *file = td_read_file(td_path("../docs/openapi.json"), &flen);
    assert_int_equal(flen, ad_openapi_json_len);
    assert_memory_equal(file, ad_openapi_json, flen);
    free(file);
    size_t n;
    ad_http_route *routes = ad_http_all_routes(&n);
    assert_non_null(routes);
    /* a service route names the action its ad_svc_* function checks (the matrix test's) */
    for (size_t i = 0; i < n; i++) {
        ad_action a;
        if (routes[i].action && !strchr(routes[i].action, '.') &&
            ad_action_parse(routes[i].action, &a) != AD_OK)
            fail_msg("%s %s: '%s' is no action", routes[i].method, routes[i].pattern,
                     routes[i].action);
    }
    json_t *paths = json_object_get(doc, "paths");
    size_t listed = 0;
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            if (!strcmp(method, "parameters") || !strcmp(method, "summary") ||
                !strcmp(method, "description"))
                continue;
            listed++;
            size_t i = 0;
            while (i < n &&
                   (strcasecmp(routes[i].method, method) || strcmp(routes[i].pattern, path)))
                i++;
            if (i == n)
                fail_msg("docs/openapi.json lists %s %s, which the server does not answer", method,
                         path);
        }
    }
    for (size_t i = 0; i < n; i++) {
        char m[16];
        size_t k = 0;
        for (; routes[i].method[k] && k < sizeof m - 1; k++)
            m[k] = (char)(routes[i].method[k] | 0x20);
        m[k] = 0;
        json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), m);
        if (!op)
            fail_msg("the server answers %s %s, which docs/openapi.json does not list",
                     routes[i].method, routes[i].pattern);
        /* public routes say so; the others answer 401 */
        json_t *sec = json_object_get(op, "security");
        json_t *responses = json_object_get(op, "responses");
        if (routes[i].flags & AD_ROUTE_PUBLIC) {
            if (!json_is_array(sec) || json_array_size(sec))
                fail_msg("%s %s needs no key: its security must be []", m, routes[i].pattern);
        } else if (!json_object_get(responses, "401")) {
            fail_msg("%s %s takes a key: it must list 401", m, routes[i].pattern);
        }
        if (!json_object_get(responses, "default"))
            fail_msg("%s %s lists no default (problem) response", m, routes[i].pattern);
        /* a body route names its schema */
        json_t *rb = json_object_get(op, "requestBody");
        if (routes[i].body) {
            char ref[160];
            snprintf(ref, sizeof ref, "#/components/schemas/%s", routes[i].body);
            json_t *s = json_object_get(
                json_object_get(json_object_get(json_object_get(rb, "content"),
                                                (routes[i].flags & (AD_ROUTE_RAW_BODY | AD_ROUTE_SPOOL_BODY))
                                                    ? "application/octet-stream"
                                                    : JSON),
                                "schema"),
                "$ref");
            if (!s || strcmp(json_string_value(s), ref))
                fail_msg("%s %s: its requestBody must be %s", m, routes[i].pattern, ref);
        } else if (rb) {
            fail_msg("%s %s takes no body but lists one", m, routes[i].pattern);
        }
    }
    assert_int_equal(listed, n);
    json_decref(doc);
    free(routes);
}

/* ---- the authorisation matrix, generated from the route table ----------------------------- */

/* Every route the server answers, called with a key of every role: a role that sharing.md's
 * table (ad_authz_allowed) refuses the route's action gets 403; a role it allows never gets
 * 401, 403 or a 5xx but 503 (a route may need the live index, which this server lacks). The
 * body sent is the smallest one the route's schema takes, made from the schema itself, so a
 * new route is in the matrix the day it is in the table. */
static char g_role_key[AD_ROLE__COUNT][AD_API_KEY_MAX];

static json_t *sample(const ad_jschema *s)
{
    switch (s->kind) {
    case AD_J_OBJECT: {
        json_t *o = json_object();
        for (const ad_jmember *m = s->members; m && m->name; m++)
            if (m->required)
                json_object_set_new(o, m->name, sample(m->schema));
        return o;
    }
    case AD_J_ARRAY: {
        json_t *a = json_array();
        for (long long i = 0; i < (s->min > 0 ? s->min : 0); i++)
            json_array_append_new(a, sample(s->items));
        return a;
    }
    case AD_J_STRING: {
        if (s->choices)
            return json_string(s->choices[0]);
        char b[256];
        size_t n = s->min > 1 ? (size_t)s->min : 1;
        n = n < sizeof b ? n : sizeof b - 1;
        memset(b, 'x', n);
        b[n] = 0;
        return json_string(b);
    }
    case AD_J_HEX: {
        char b[256];
        size_t n = s->min > 2 ? (size_t)s->min : 2;
        n = n < sizeof b ? n : sizeof b - 2;
        n += n & 1;
        memset(b, '0', n);
        b[n] = 0;
        return json_string(b);
    }
    case AD_J_INT:
        return json_integer(s->min);
    case AD_J_NUMBER:
        return json_real((double)s->min);
    case AD_J_BOOL:
        return json_false();
    }
    return json_null();
}

/* The route's pattern with every {parameter} as "999999" (no record: a route that changes
 * something changes nothing here, so the order of the calls does not matter). */
static void fill_path(const char *pattern, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 2 < cap; p++) {
        if (*p == '{') {
            n += (size_t)snprintf(out + n, cap - n, "999999");
            while (*p && *p != '}')
                p++;
            if (!*p)
                break;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
}

static int setup_matrix(void **state)
{
    (void)state;
    const char *dir = td_tmpdir("test_server_matrix");
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s/m.db", dir);
    ad_store *st;
    ad_err err;
    if (ad_store_open(&st, url, AD_STORE_CREATE, &err) != AD_OK)
        fail_msg("%s", err.msg);
    ad_agency a = {0, "Unit", "NL", "police", 0};
    int64_t aid, uid;
    OK(ad_store_agency_add(st, &a, &aid, &err));
    for (int r = 0; r < AD_ROLE__COUNT; r++) {
        char name[32];
        snprintf(name, sizeof name, "user-%s", ad_role_name((ad_role)r));
        OK(ad_store_user_add(st, aid, name, (ad_role)r, &uid, g_role_key[r], &err));
    }
    ad_store_close(st);
    ad_server_opts o = {0};
    o.db_url = url;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    if (ad_server_start(&g_srv, &o, &err) != AD_OK)
        fail_msg("%s", err.msg);
    snprintf(g_base, sizeof g_base, "http://%s", ad_server_address(g_srv));
    return 0;
}

static void t_authz_matrix(void **state)
{
    (void)state;
    size_t n, checked = 0;
    ad_http_route *routes = ad_http_all_routes(&n);
    assert_non_null(routes);
    reply *r = malloc(sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) {
        const ad_http_route *rt = &routes[i];
        if (rt->flags & AD_ROUTE_PUBLIC) {
            if (rt->action)
                fail_msg("%s %s is public but names an action", rt->method, rt->pattern);
            continue;
        }
        ad_action act;
        int any_role = rt->action && !strcmp(rt->action, "me.read");
        if (!any_role && (!rt->action || ad_action_parse(rt->action, &act) != AD_OK))
            fail_msg("%s %s: its action '%s' is no action of the authorisation table", rt->method,
                     rt->pattern, rt->action ? rt->action : "(none)");
        char path[512];
        fill_path(rt->pattern, path, sizeof path);
        char *body = NULL;
        if (rt->schema) {
            json_t *b = sample(rt->schema);
            body = json_dumps(b, JSON_COMPACT);
            json_decref(b);
        }
        for (int role = 0; role < AD_ROLE__COUNT; role++) {
            call(r, rt->method, path, g_role_key[role], body ? JSON : NULL, body, body ? -2 : 0);
            int allowed = any_role || ad_authz_allowed((ad_role)role, act);
            if (!allowed && r->status != 403)
                fail_msg("%s %s as %s: status %ld, want 403 (%s)", rt->method, path,
                         ad_role_name((ad_role)role), r->status, r->body);
            if (allowed && (r->status == 401 || r->status == 403 ||
                            (r->status >= 500 && r->status != 503) || r->status == 0))
                fail_msg("%s %s as %s: status %ld, but the role may (%s)", rt->method, path,
                         ad_role_name((ad_role)role), r->status, r->body);
            checked++;
        }
        free(body);
    }
    print_message("authorisation matrix: %zu routes x %d roles = %zu calls\n", n,
                  (int)AD_ROLE__COUNT, checked);
    free(r);
    free(routes);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest pieces[] = {
        cmocka_unit_test(t_route_match),    cmocka_unit_test(t_bearer),
        cmocka_unit_test(t_jcheck),         cmocka_unit_test(t_match_quick),
        cmocka_unit_test(t_alog_buffered),  cmocka_unit_test(t_metrics_threads),
        cmocka_unit_test(t_buckets),        cmocka_unit_test(t_alog_line),
        cmocka_unit_test(t_openapi_routes),
    };
    const struct CMUnitTest served[] = {
        cmocka_unit_test(t_bodies),
        cmocka_unit_test(t_routes),
        cmocka_unit_test(t_graceful_stop),
    };
    int rc = cmocka_run_group_tests(pieces, NULL, NULL);
    rc |= cmocka_run_group_tests(served, setup_server, teardown_server);
    const struct CMUnitTest matrix[] = {cmocka_unit_test(t_authz_matrix)};
    rc |= cmocka_run_group_tests(matrix, setup_matrix, teardown_server);
    curl_global_cleanup();
    return rc;
}
