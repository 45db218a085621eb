/* alloc_count.h: the largest allocation while `counting`, by wrapping malloc, calloc and
 * realloc over glibc's own allocator; off (COUNTING 0) in the sanitizer builds, which wrap them
 * themselves. Included by one file of a test program (it defines the wrappers). */
#ifndef AD_ALLOC_COUNT_H
#define AD_ALLOC_COUNT_H
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

#if COUNTING
/* the largest allocation while `counting` (glibc's own allocator underneath) */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static volatile int counting;
static volatile size_t largest;
static void note(size_t n)
{
    if (counting && n > largest)
        largest = n;
}
void *malloc(size_t n)
{
    note(n);
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    note(a * b);
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    note(n);
    return __libc_realloc(p, n);
}
void free(void *p)
{
    __libc_free(p);
}
#endif

#endif
