/* test_session.c: people's web sessions (docs/web.md) over real HTTP on 127.0.0.1 with libcurl:
 * the cookie's flags, a wrong password and a platform user refused, a change without the CSRF
 * header (or with a wrong one) refused while the same change with it passes, sign-out, the
 * idle timeout, failed sign-ins limited per address, and the page's Content-Security-Policy. On
 * SQLite, and on PostgreSQL too when $AD_TEST_PG names a server (scripts/run-tests). */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ariadne/server.h"
#include "ariadne/store.h"
#include "testutil.h"

#define OK(x) assert_int_equal((x), AD_OK)
#define PASSWORD "correct horse battery"

static ad_server *g_srv;
static char g_base[128];
static td_db g_db;

typedef struct {
    long status;
    char body[8192], cookie[512], csp[512];
    size_t n;
} reply;

static size_t on_body(char *p, size_t sz, size_t nm, void *ctx)
{
    reply *r = ctx;
    size_t n = sz * nm, room = sizeof r->body - 1 - r->n;
    memcpy(r->body + r->n, p, n < room ? n : room);
    r->n += n < room ? n : room;
    r->body[r->n] = 0;
    return n;
}

/* Keeps the Set-Cookie and Content-Security-Policy headers' values. */
static size_t on_header(char *p, size_t sz, size_t nm, void *ctx)
{
    reply *r = ctx;
    size_t n = sz * nm;
    static const char sc[] = "Set-Cookie: ", csp[] = "Content-Security-Policy: ";
    char *dst = !strncasecmp(p, sc, sizeof sc - 1)    ? r->cookie
                : !strncasecmp(p, csp, sizeof csp - 1) ? r->csp
                                                       : NULL;
    if (dst) {
        size_t skip = dst == r->cookie ? sizeof sc - 1 : sizeof csp - 1;
        size_t len = n - skip;
        while (len && (p[skip + len - 1] == '\r' || p[skip + len - 1] == '\n'))
            len--;
        if (len > 511)
            len = 511;
        memcpy(dst, p + skip, len);
        dst[len] = 0;
    }
    return n;
}

/* One request: cookie ("ariadne_session=..." or NULL), csrf header value (or NULL), a JSON body
 * (or NULL). */
static void call(reply *r, const char *method, const char *path, const char *cookie,
                 const char *csrf, const char *body)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    char url[512], h[200];
    snprintf(url, sizeof url, "%s%s", g_base, path);
    struct curl_slist *hs = NULL;
    if (body)
        hs = curl_slist_append(hs, "Content-Type: application/json");
    if (csrf) {
        snprintf(h, sizeof h, "X-CSRF-Token: %s", csrf);
        hs = curl_slist_append(hs, h);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (cookie)
        curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
}

/* Signs name in: the cookie ("ariadne_session=TOKEN") and the CSRF token. */
static void sign_in(const char *name, char cookie[128], char csrf[80])
{
    reply *r = malloc(sizeof *r);
    char body[256];
    snprintf(body, sizeof body, "{\"name\": \"%s\", \"password\": \"%s\"}", name, PASSWORD);
    call(r, "POST", "/v1/session", NULL, NULL, body);
    if (r->status != 201)
        fail_msg("sign-in of %s: %ld %s", name, r->status, r->body);
    size_t n = strcspn(r->cookie, ";");
    assert_true(n < 128);
    memcpy(cookie, r->cookie, n);
    cookie[n] = 0;
    json_t *doc = json_loads(r->body, 0, NULL);
    snprintf(csrf, 80, "%s", json_string_value(json_object_get(doc, "csrf")));
    json_decref(doc);
    free(r);
}

/* The store of the group: SQLite, or PostgreSQL ($AD_TEST_PG). */
static int setup(int pg)
{
    if (td_db_create(&g_db, pg, "session") != 0)
        fail_msg("no database for the test");
    const char *url = g_db.url;
    ad_store *st;
    ad_err err;
    if (ad_store_open(&st, url, AD_STORE_CREATE, &err) != AD_OK)
        fail_msg("%s", err.msg);
    ad_agency a = {0, "Unit", "NL", "police", 0};
    int64_t aid, uid;
    char key[AD_API_KEY_MAX];
    OK(ad_store_agency_add(st, &a, &aid, &err));
    OK(ad_store_user_add(st, aid, "ann", AD_ROLE_INVESTIGATOR, &uid, key, &err));
    OK(ad_store_user_set_password(st, uid, PASSWORD, &err));
    OK(ad_store_user_add(st, aid, "bob", AD_ROLE_ANALYST, &uid, key, &err));
    OK(ad_store_user_set_password(st, uid, PASSWORD, &err));
    OK(ad_store_user_add(st, aid, "robot", AD_ROLE_PLATFORM, &uid, key, &err));
    /* a platform user has no password */
    assert_int_equal(ad_store_user_set_password(st, uid, PASSWORD, &err), AD_ERR_ARG);
    ad_store_close(st);
    ad_server_opts o = {0};
    o.db_url = url;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    o.session_idle = 2;
    o.auth_burst = 6;
    o.auth_refill = 0.01;
    if (ad_server_start(&g_srv, &o, &err) != AD_OK)
        fail_msg("%s", err.msg);
    snprintf(g_base, sizeof g_base, "http://%s", ad_server_address(g_srv));
    return 0;
}

static int setup_sqlite(void **state)
{
    (void)state;
    return setup(0);
}

static int setup_pg(void **state)
{
    (void)state;
    return setup(1);
}

static int teardown(void **state)
{
    (void)state;
    ad_server_stop(g_srv, 5);
    td_db_drop(&g_db);
    return 0;
}

static void t_cookie(void **state)
{
    (void)state;
    reply *r = malloc(sizeof *r);
    call(r, "POST", "/v1/session", NULL, NULL,
         "{\"name\": \"ann\", \"password\": \"" PASSWORD "\"}");
    assert_int_equal(r->status, 201);
    assert_non_null(strstr(r->cookie, "ariadne_session=as_"));
    assert_non_null(strstr(r->cookie, "; HttpOnly"));
    assert_non_null(strstr(r->cookie, "; SameSite=Strict"));
    assert_non_null(strstr(r->cookie, "; Path=/"));
    assert_null(strstr(r->cookie, "Secure")); /* plain HTTP: Secure only with TLS */
    json_t *doc = json_loads(r->body, 0, NULL);
    assert_int_equal(strlen(json_string_value(json_object_get(doc, "csrf"))), 64);
    assert_string_equal(json_string_value(json_object_get(doc, "role")), "investigator");
    json_decref(doc);
    free(r);
}

static void t_csrf(void **state)
{
    (void)state;
    char cookie[128], csrf[80];
    sign_in("ann", cookie, csrf);
    reply *r = malloc(sizeof *r);
    call(r, "GET", "/v1/cases", cookie, NULL, NULL); /* a read needs no CSRF token */
    assert_int_equal(r->status, 200);
    call(r, "GET", "/v1/session", cookie, NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, csrf));
    const char *series = "{\"name\": \"Series W\"}";
    call(r, "POST", "/v1/series", cookie, NULL, series);
    assert_int_equal(r->status, 403);
    assert_non_null(strstr(r->body, "X-CSRF-Token"));
    char wrong[80];
    snprintf(wrong, sizeof wrong, "%s", csrf);
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    call(r, "POST", "/v1/series", cookie, wrong, series);
    assert_int_equal(r->status, 403);
    call(r, "POST", "/v1/series", cookie, csrf, series);
    assert_int_equal(r->status, 201);
    /* the session is ann's identity: the service layer's rules hold as for her key */
    char bc[128], bcsrf[80];
    sign_in("bob", bc, bcsrf);
    call(r, "POST", "/v1/series", bc, bcsrf, "{\"name\": \"Series X\"}");
    assert_int_equal(r->status, 403); /* an analyst creates no series */
    /* preferences are the user's own */
    call(r, "PUT", "/v1/session/prefs", cookie, csrf, "{\"blur\": false, \"break_minutes\": 20}");
    assert_int_equal(r->status, 200);
    call(r, "GET", "/v1/session", cookie, NULL, NULL);
    assert_non_null(strstr(r->body, "\"break_minutes\":20"));
    call(r, "GET", "/v1/session", bc, NULL, NULL);
    assert_null(strstr(r->body, "break_minutes"));
    /* sign-out: needs the token too, then the cookie opens nothing */
    call(r, "DELETE", "/v1/session", cookie, NULL, NULL);
    assert_int_equal(r->status, 403);
    call(r, "DELETE", "/v1/session", cookie, csrf, NULL);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->cookie, "Max-Age=0"));
    call(r, "GET", "/v1/session", cookie, NULL, NULL);
    assert_int_equal(r->status, 401);
    free(r);
}

static void t_refused(void **state)
{
    (void)state;
    reply *r = malloc(sizeof *r);
    call(r, "POST", "/v1/session", NULL, NULL, "{\"name\": \"ann\", \"password\": \"wrong one\"}");
    assert_int_equal(r->status, 401);
    assert_int_equal(r->cookie[0], 0);
    call(r, "POST", "/v1/session", NULL, NULL,
         "{\"name\": \"robot\", \"password\": \"" PASSWORD "\"}");
    assert_int_equal(r->status, 401); /* platforms have no pages */
    call(r, "GET", "/v1/cases", "ariadne_session=as_00", NULL, NULL);
    assert_int_equal(r->status, 401);
    /* six failures from this address (two before: the signed-out session of t_csrf, the
     * expired one of t_idle) empty its bucket: then even the right password waits */
    call(r, "POST", "/v1/session", NULL, NULL, "{\"name\": \"nobody\", \"password\": \"x\"}");
    assert_int_equal(r->status, 401);
    call(r, "POST", "/v1/session", NULL, NULL,
         "{\"name\": \"ann\", \"password\": \"" PASSWORD "\"}");
    assert_int_equal(r->status, 429);
    free(r);
}

static void t_idle(void **state)
{
    (void)state;
    char cookie[128], csrf[80];
    sign_in("ann", cookie, csrf);
    reply *r = malloc(sizeof *r);
    for (int i = 0; i < 3; i++) { /* in use: alive past the idle time */
        sleep(1);
        call(r, "GET", "/v1/session", cookie, NULL, NULL);
        assert_int_equal(r->status, 200);
    }
    sleep(3);
    call(r, "GET", "/v1/session", cookie, NULL, NULL);
    assert_int_equal(r->status, 401);
    free(r);
}

static void t_page(void **state)
{
    (void)state;
    reply *r = malloc(sizeof *r);
    call(r, "GET", "/", NULL, NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->csp, "default-src 'none'"));
    assert_non_null(strstr(r->csp, "script-src 'self'"));
    assert_non_null(strstr(r->csp, "frame-ancestors 'none'"));
    assert_null(strstr(r->csp, "unsafe"));
    call(r, "GET", "/ui/no-such-file.js", NULL, NULL, NULL);
    assert_int_equal(r->status, 404);
    free(r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    /* t_refused last: it empties this address's bucket of failures */
    const struct CMUnitTest t[] = {
        cmocka_unit_test(t_page), cmocka_unit_test(t_cookie),  cmocka_unit_test(t_csrf),
        cmocka_unit_test(t_idle), cmocka_unit_test(t_refused),
    };
    int rc = cmocka_run_group_tests_name("sqlite", t, setup_sqlite, teardown);
    if (getenv("AD_TEST_PG") && *getenv("AD_TEST_PG"))
        rc |= cmocka_run_group_tests_name("postgresql", t, setup_pg, teardown);
    curl_global_cleanup();
    return rc;
}
