/* session.h: people signed in to the web interface (session.c, docs/web.md): the session
 * cookie, its CSRF token, and the check of a request that carries the cookie instead of a key.
 * The identity a session gives is the one a key of the same user gives: authorisation stays in
 * the service layer. */
#ifndef AD_SERVER_SESSION_H
#define AD_SERVER_SESSION_H

#include <stddef.h>

#include "server/http.h"

#define AD_SESSION_COOKIE "ariadne_session"
#define AD_CSRF_HEADER "X-CSRF-Token"
#define AD_CSRF_MAX 65

/* Whether a Cookie header holds the session cookie; its token into tok (AD_SESSION_TOKEN_MAX
 * bytes) when tok is not NULL. */
int ad_session_cookie(const char *cookie_header, char *tok);
/* The CSRF token of a session token (hex of a keyed digest of it: the page learns it from
 * POST or GET /v1/session, never from the HttpOnly cookie). */
void ad_session_csrf(const char *token, char out[AD_CSRF_MAX]);
/* Authenticates a request by its session cookie: 0 with who set; otherwise the HTTP status to
 * answer (401 refused, 403 a change without the CSRF header, 429 too many failures from the
 * address) and a message in detail. */
int ad_session_authenticate(ad_http_req *rq, ad_identity *who, char *detail, size_t cap);
/* The Set-Cookie value that opens (token) or clears (NULL) the session cookie: HttpOnly,
 * SameSite=Strict, Path=/, Secure when the server speaks TLS. */
void ad_session_set_cookie(const ad_server *srv, const char *token, char *out, size_t cap);
/* The idle timeout of the server's sessions, in seconds. */
unsigned ad_session_idle(const ad_server *srv);

#endif
