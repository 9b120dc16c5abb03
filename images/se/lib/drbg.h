/* drbg.h - HMAC_DRBG (NIST SP 800-90A Rev.1, 10.1.2) with SHA-256; one global instance.
 *
 * drbg_instantiate(seed): K = 0x00 x32, V = 0x01 x32, HMAC_DRBG_Update(seed), where seed is
 *   the whole seed_material (entropy_input || nonce || personalization_string, concatenated
 *   by the caller). Calling it again re-instantiates from scratch.
 * drbg_generate(out, len): no additional input; V = HMAC(K, V) repeated and concatenated,
 *   truncated to len bytes, then HMAC_DRBG_Update() with no provided data. Any len is allowed
 *   in one call (SP 800-90A caps a request at 2^19 bits; this implementation does not), and
 *   no reseed counter is kept (deterministic by design: same seed, same calls, same output).
 * Calling drbg_generate() before drbg_instantiate() instantiates with an empty seed first.
 * State is 65 bytes of .bss; worst-case stack on Cortex-M0+ about 570 bytes; not reentrant (do not use from an interrupt handler and
 * thread code at once). */
#ifndef SE_LIB_DRBG_H
#define SE_LIB_DRBG_H

#include <stddef.h>
#include <stdint.h>

/* seed may be NULL when seed_len is 0. */
void drbg_instantiate(const uint8_t *seed, size_t seed_len);
/* out may be NULL when len is 0 (the state is still updated). */
void drbg_generate(uint8_t *out, size_t len);

#endif
