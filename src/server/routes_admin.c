/* routes_admin.c: the admins' and auditors' routes: users and keys, lists and grants, the audit log and its verification. Each route parses its request, calls one ad_svc_* function
 * (service.h), which decides who may do it, and serialises the answer. */
#include "server/http.h"

const ad_http_route *ad_http_routes_admin(size_t *n)
{
    *n = 0;
    return NULL;
}
