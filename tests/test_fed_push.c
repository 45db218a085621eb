/* test_fed_push.c: a sync's push and pull and the peer's /v1/fed/changes in bounded memory
 * (docs/federation.md "Transport"). A peer served in this process with a small --max-body
 * (256 KiB) takes a 6 MB bundle as several requests (the pusher halves its chunks on 413),
 * with no allocation near the bundle's size on either side (malloc counted, outside the
 * sanitizer builds); the body is spooled to a nameless file in $TMPDIR, seen while a request
 * is on its way, gone after it; hostile bodies (a bundle cut short, a bad signature, over the
 * limit, a client leaving mid-body) write nothing and leave no temporary file or descriptor;
 * a 6 MB pull is answered from a temporary file and read into one, in bounded memory too. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/fed.h"
#include "ariadne/server.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "fed/fed_int.h"
#include "fedtest.h"

#include "alloc_count.h"

static ad_err err;

static ft_node A, B;
static ad_server *srv;
static char base[128], spool_dir[600], dir[600];
enum { N = COUNTING ? 15000 : 3000, RUN = 500, MAX_BODY = 256 << 10 }; /* smaller where not counted */
#define BOUND ((size_t)2 << 20) /* a store batch's arrays (apply.c): ~1.5 MB */

/* descriptors of this process open on a file in the spool folder (nameless ones included) */
static int spool_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char p[300], t[1200];
        snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(p, t, sizeof t - 1);
        if (k > 0) {
            t[k] = 0;
            n += !strncmp(t, spool_dir, strlen(spool_dir)) && t[strlen(spool_dir)] == '/';
        }
    }
    closedir(d);
    return n;
}

static int spool_files(void)
{
    DIR *d = opendir(spool_dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* no spool left once the server is done with the request (it may end just after the answer) */
static void no_spool_left(void)
{
    for (int i = 0; i < 500 && spool_fds(); i++)
        usleep(10000);
    assert_int_equal(spool_fds(), 0);
    assert_int_equal(spool_files(), 0);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(dir, sizeof dir, "%s", td_tmpdir("fedpush"));
    assert_int_equal(ft_node_open(&A, 0, "pusha", dir), 1);
    assert_int_equal(ft_node_open(&B, 0, "pushb", dir), 1);
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", dir);
    mkdir(spool_dir, 0700);
    setenv("TMPDIR", spool_dir, 1);
    setenv("ARIADNE_FED_KEY", B.keypath, 1); /* the serving instance's key (the pull) */
    ad_server_opts o = {0};
    o.db_url = B.db.url;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    o.max_body = MAX_BODY;
    OK(ad_server_start(&srv, &o, &err));
    snprintf(base, sizeof base, "http://%s", ad_server_address(srv));
    ad_fed_peer pa = {.name = "b", .url = base, .pubkey = B.pub};
    int64_t id;
    OK(ad_fed_peer_add(A.st, &pa, &id, &err));
    ft_trust(&B, "a", &A, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ad_server_stop(srv, 5);
    ft_node_close(&A);
    ft_node_close(&B);
    curl_global_cleanup();
    return 0;
}

static void media_in_series(ft_node *in, const char *name, size_t n, size_t from)
{
    OK(td_media_series(in->st, name, n, from, &err));
    int64_t cut;
    ad_fed_cut_run = RUN; /* many sets */
    OK(ad_fed_cut(in->st, &in->key, &cut, &err));
    ad_fed_cut_run = 100000;
}

/* A's sync with b, the largest allocation meanwhile (0 when not counted) */
static size_t counted_sync(ad_fed_sync_result *r)
{
#if COUNTING
    largest = 0;
    counting = 1;
#endif
    OK(ad_fed_sync(A.st, &A.key, "b", 0, NULL, NULL, r, &err));
#if COUNTING
    counting = 0;
    return largest;
#else
    return 0;
#endif
}

/* A 6 MB push to a peer taking 256 KiB a request: several requests, bounded memory */
static void test_push_in_chunks(void **state)
{
    (void)state;
    media_in_series(&A, "Pushed", N, 0);
    ad_fed_sync_result r;
    size_t big = counted_sync(&r);
    (void)big; /* not counted under the sanitizers */
#if COUNTING
    print_message("push of %lld bytes in %lld sets: %d requests; largest allocation %zu bytes\n",
                  (long long)r.sent.bytes, (long long)r.sent.sets, r.requests, big);
    assert_true(r.sent.bytes > (int64_t)(2 * BOUND));
    assert_true(big < BOUND);
#endif
    assert_int_equal(r.stage, AD_FED_SYNC_DONE);
    /* at least as many requests as the limit needs */
    assert_true(r.requests >= (int)(r.sent.bytes / MAX_BODY) + 1);
    assert_int_equal(ft_count(&B, "SELECT COUNT(*) FROM media"), N);
    assert_int_equal(ft_count(&B, "SELECT COUNT(*) FROM series_media"), N);
    assert_int_equal(ft_count(&B, "SELECT COUNT(*) FROM change_set"), r.sent.sets);
    no_spool_left();
    assert_true(r.refused >= 1); /* 8 MiB first, halved on each 413 */
    assert_true(r.bytes_up >= r.sent.bytes && r.bytes_down > 0);
    assert_int_equal(r.pulls, 1);
    /* again: nothing more to send (an empty bundle, one request) */
    OK(ad_fed_sync(A.st, &A.key, "b", 0, NULL, NULL, &r, &err));
    assert_int_equal(r.requests, 1);
    assert_int_equal(r.sent.sets, 0);
    /* the size the peer took is remembered: the next push starts there, refused no more */
    int64_t took = ft_count(&A, "SELECT push_max FROM fed_peer WHERE name = 'b'");
    assert_true(took > 0 && took <= MAX_BODY);
    media_in_series(&A, "Pushed again", 1500, 10 * (size_t)N);
    OK(ad_fed_sync(A.st, &A.key, "b", 0, NULL, NULL, &r, &err));
    assert_int_equal(r.stage, AD_FED_SYNC_DONE);
    assert_true(r.sent.bytes > 2 * MAX_BODY); /* several requests */
    assert_int_equal(r.refused, 0);
    assert_true(r.requests >= (int)(r.sent.bytes / MAX_BODY) + 1);
    assert_int_equal(ft_count(&B, "SELECT COUNT(*) FROM media"), N + 1500);
}

typedef struct {
    const uint8_t *p;
    size_t n;
} src;

static size_t discard(char *d, size_t a, size_t b, void *c)
{
    (void)d, (void)c;
    return a * b;
}

static long post(const uint8_t *body, size_t n)
{
    CURL *c = curl_easy_init();
    char url[200];
    snprintf(url, sizeof url, "%s/v1/fed/changes", base);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* A client announcing len bytes, sending some, waiting until the server spools them, leaving */
static void post_and_leave(size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    const char *colon = strrchr(base, ':');
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char head[300], part[4096];
    int k = snprintf(head, sizeof head,
                     "POST /v1/fed/changes HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
                     len);
    assert_int_equal(write(fd, head, (size_t)k), k);
    memset(part, '{', sizeof part);
    assert_int_equal(write(fd, part, sizeof part), (ssize_t)sizeof part);
    int seen = 0;
    for (int i = 0; i < 500 && !(seen = spool_fds()); i++)
        usleep(10000);
    assert_int_equal(seen, 1); /* the body goes to a nameless file in $TMPDIR ... */
    assert_int_equal(spool_files(), 0);
    close(fd); /* ... gone when the client leaves */
}

static void test_hostile_bodies(void **state)
{
    (void)state;
    media_in_series(&A, "Later", 200, N);
    uint8_t *good;
    size_t n;
    ad_fed_stats s;
    OK(ad_fed_bundle_export(A.st, &A.key, "b", 0, &good, &n, &s, &err));
    assert_true(n > 4096 && n < MAX_BODY);
    int64_t media = ft_count(&B, "SELECT COUNT(*) FROM media"),
            sets = ft_count(&B, "SELECT COUNT(*) FROM change_set");
    uint8_t *bad = malloc(n + MAX_BODY);
    assert_non_null(bad);
    /* cut short (400: the body cannot be read as a bundle) */
    assert_int_equal(post(good, n / 2), 400);
    no_spool_left();
    /* a byte of the signature changed */
    memcpy(bad, good, n);
    bad[n - 5] = bad[n - 5] == '0' ? '1' : '0';
    assert_int_equal(post(bad, n), 403);
    no_spool_left();
    /* over the limit */
    memset(bad, 'x', n + MAX_BODY);
    memcpy(bad, good, n);
    assert_int_equal(post(bad, n + MAX_BODY), 413);
    no_spool_left();
    /* a client leaving mid-body */
    post_and_leave(MAX_BODY - 1);
    no_spool_left();
    assert_int_equal(ft_count(&B, "SELECT COUNT(*) FROM media"), media);
    assert_int_equal(ft_count(&B, "SELECT COUNT(*) FROM change_set"), sets);
    /* the same bundle whole is taken */
    assert_int_equal(post(good, n), 200);
    no_spool_left();
    assert_int_equal(ft_count(&B, "SELECT COUNT(*) FROM media"), media + 200);
    free(bad);
    free(good);
}

/* A 6 MB pull from the same server: answered from a temporary file, read into one */
static void test_pull_bounded(void **state)
{
    (void)state;
    media_in_series(&B, "Pulled", N, 4 * (size_t)N);
    int64_t before = ft_count(&A, "SELECT COUNT(*) FROM media");
    ad_fed_sync_result r;
    size_t big = counted_sync(&r);
    (void)big; /* not counted under the sanitizers */
#if COUNTING
    print_message("pull of %lld sets; largest allocation %zu bytes\n", (long long)r.got.sets, big);
    assert_true(big < BOUND);
#endif
    assert_int_equal(r.stage, AD_FED_SYNC_DONE);
    assert_true(r.got.sets >= 2 * N / RUN);
    assert_int_equal(ft_count(&A, "SELECT COUNT(*) FROM media"), before + N);
    no_spool_left();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_in_chunks),
        cmocka_unit_test(test_hostile_bodies),
        cmocka_unit_test(test_pull_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
