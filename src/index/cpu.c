/* cpu.c: which kernel path runs: detection, names, the AD_CPU override. */
#include <stdlib.h>
#include <string.h>

#include "ix_internal.h"

ad_index_cpu ad_index_cpu_best(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vpopcntdq") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
        __builtin_cpu_supports("bmi2"))
        return AD_INDEX_CPU_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
        __builtin_cpu_supports("bmi2"))
        return AD_INDEX_CPU_AVX2;
    return AD_INDEX_CPU_SCALAR;
}

static const char *const names[] = {"auto", "scalar", "avx2", "avx512"};

const char *ad_index_cpu_name(ad_index_cpu cpu)
{
    return (unsigned)cpu < 4 ? names[cpu] : "unknown";
}

ad_code ad_index_cpu_parse(const char *name, ad_index_cpu *out, ad_err *err)
{
    for (int i = 0; i < 4; i++)
        if (name && !strcmp(name, names[i])) {
            *out = (ad_index_cpu)i;
            return AD_OK;
        }
    return ad_err_set(err, AD_ERR_ARG, "unknown CPU path '%s' (auto, scalar, avx2, avx512)",
                      name ? name : "");
}

ad_code ad_index_set_cpu(ad_index *ix, ad_index_cpu cpu, ad_err *err)
{
    ad_index_cpu best = ad_index_cpu_best();
    if (cpu == AD_INDEX_CPU_AUTO) {
        const char *env = getenv("AD_CPU");
        ad_index_cpu e = AD_INDEX_CPU_AUTO;
        cpu = best;
        if (env && *env && ad_index_cpu_parse(env, &e, NULL) == AD_OK && e != AD_INDEX_CPU_AUTO &&
            e <= best)
            cpu = e;
    }
    if ((unsigned)cpu > AD_INDEX_CPU_AVX512)
        return ad_err_set(err, AD_ERR_ARG, "unknown CPU path %d", (int)cpu);
    if (cpu > best)
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "this CPU cannot run the %s path (best: %s)",
                          ad_index_cpu_name(cpu), ad_index_cpu_name(best));
    ix->cpu = cpu;
    ix->k = cpu == AD_INDEX_CPU_AVX512 ? &ad_ix_kern_avx512
            : cpu == AD_INDEX_CPU_AVX2 ? &ad_ix_kern_avx2
                                       : &ad_ix_kern_scalar;
    return AD_OK;
}

ad_index_cpu ad_index_get_cpu(const ad_index *ix)
{
    return ix->cpu;
}
