/* routes_platform.c: the platforms' routes: POST /v1/match, POST /v1/hash, POST /v1/feedback, a list's review and the release of held-back entries. Each route parses its request, calls one ad_svc_* function
 * (service.h), which decides who may do it, and serialises the answer. */
#include "server/http.h"

const ad_http_route *ad_http_routes_platform(size_t *n)
{
    *n = 0;
    return NULL;
}
