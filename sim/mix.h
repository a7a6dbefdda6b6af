/* A 64-bit mixer for integer keys: MurmurHash3's finaliser (fmix64), for hash tables over
 * 8-byte keys, where a byte-string hash such as XXH3 costs several times more. */
#ifndef SIM_MIX_H
#define SIM_MIX_H

#include <stdint.h>

/* A bijection in which every input bit flips each output bit with probability close to 1/2,
 * in five operations: the low bits make a good bucket index even for consecutive keys. */
static inline uint64_t mix_fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

#endif
