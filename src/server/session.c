/* session.c: the HTTP side of people's sessions (docs/web.md): the session cookie read from a
 * request, the CSRF token every change must send in a header, failed sessions counted per
 * client address like failed keys, and the cookie's flags. The store keeps the sessions
 * (src/store/session.c). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ariadne/util.h"
#include "server/server_int.h"
#include "server/session.h"

int ad_session_cookie(const char *h, char *tok)
{
    static const char name[] = AD_SESSION_COOKIE "=";
    for (const char *p = h; p && *p;) {
        p += strspn(p, " \t;");
        size_t len = strcspn(p, ";");
        if (len > sizeof name - 1 && !strncmp(p, name, sizeof name - 1)) {
            size_t v = len - (sizeof name - 1);
            while (v && (p[sizeof name - 2 + v] == ' ' || p[sizeof name - 2 + v] == '\t'))
                v--;
            if (v == 0 || v >= AD_SESSION_TOKEN_MAX)
                return 0;
            if (tok) {
                memcpy(tok, p + sizeof name - 1, v);
                tok[v] = 0;
            }
            return 1;
        }
        p += len;
    }
    return 0;
}

void ad_session_csrf(const char *token, char out[AD_CSRF_MAX])
{
    static const uint8_t key[] = "ariadne web session csrf v1 key!"; /* 32 bytes: a domain */
    uint8_t d[32];
    crypto_generichash(d, sizeof d, (const uint8_t *)token, strlen(token), key, 32);
    ad_hex_encode(d, sizeof d, out);
}

unsigned ad_session_idle(const ad_server *srv)
{
    return srv->o.session_idle ? srv->o.session_idle : AD_SERVER_SESSION_IDLE;
}

void ad_session_set_cookie(const ad_server *srv, const char *token, char *out, size_t cap)
{
    snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", AD_SESSION_COOKIE,
             token ? token : "", token ? "" : "; Max-Age=0", srv->tls_cert ? "; Secure" : "");
}

/* Whether a method changes something (every method but GET and HEAD). */
static int changes(const char *method)
{
    return strcmp(method, "GET") && strcmp(method, "HEAD");
}

int ad_session_authenticate(ad_http_req *rq, ad_identity *who, char *detail, size_t cap)
{
    ad_server *srv = ad_http_server(rq);
    size_t alen;
    const uint8_t *addr = ad_http_client(rq, &alen);
    double now = ad_now(), wait = 0;
    if (!ad_buckets_peek(srv->auth_fail, addr, alen, now, &wait)) {
        snprintf(detail, cap, "too many failed sign-ins from this address: try again in %d s",
                 (int)wait + 1);
        return 429;
    }
    char tok[AD_SESSION_TOKEN_MAX];
    ad_session_cookie(ad_http_header(rq, "Cookie"), tok);
    ad_store *st;
    ad_err err;
    ad_code rc = ad_tstore_get(srv, &st, &err);
    if (rc == AD_OK)
        rc = ad_store_session_check(st, tok, ad_session_idle(srv), who, &err);
    int status = 0;
    if (rc == AD_ERR_PERM) {
        ad_buckets_take(srv->auth_fail, addr, alen, now, NULL);
        snprintf(detail, cap, "not signed in (the session ended, expired or is unknown): sign in"
                              " again");
        status = 401;
    } else if (rc != AD_OK) {
        snprintf(detail, cap, "%s", err.msg);
        status = ad_http_status_of(rc);
    } else if (changes(ad_http_method(rq))) {
        /* a change must prove the page made it: the CSRF token, which another site's page
         * cannot read */
        char want[AD_CSRF_MAX];
        const char *got = ad_http_header(rq, AD_CSRF_HEADER);
        ad_session_csrf(tok, want);
        if (!got || strlen(got) != AD_CSRF_MAX - 1 || sodium_memcmp(got, want, AD_CSRF_MAX - 1)) {
            snprintf(detail, cap, "a change from the web interface needs its %s header",
                     AD_CSRF_HEADER);
            status = 403;
        }
    }
    sodium_memzero(tok, sizeof tok);
    if (status)
        memset(who, 0, sizeof *who);
    return status;
}
