/* spm_internal.h - the SPM entry points the mailbox dispatcher uses (not for services). */
#ifndef SE_SPM_INTERNAL_H
#define SE_SPM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "spm.h"

#define SE_CONN_MAX     16u     /* concurrent connections (TFM_CONN_HANDLE_MAX_NUM) */

/* True if [addr, addr+len) is NS memory the Host may hand over: the shared data region
 * (read-write), or, when !write, the Host code region (read-only). len 0 always passes. */
bool ns_mem_ok(uint32_t addr, uint32_t len, bool write);

/* The mailbox message's client_id names the caller (msg_client_id below) only when the platform
 * configuration sets SE_CFG_FORWARD_CLIENT_IDS; otherwise every caller is SE_NS_CLIENT_ID (-1),
 * as in TF-M v1.3. A forwarded id must be negative: CONNECT from a non-negative one is refused
 * (-130), a CALL is -129. A connection belongs to the client that opened it: a CALL from
 * another client is -129, a CLOSE from another client is ignored. */

/* psa_version(sid) for a non-secure caller: the version, or PSA_VERSION_NONE. */
uint32_t spm_version(uint32_t sid);
/* psa_connect: a handle > 0, or -130 (unknown SID, NS not allowed, version) / -131 (full). */
psa_status_t spm_connect(uint32_t sid, uint32_t version, int32_t msg_client_id);
/* psa_call with NS-pointer iovec arrays (SE addresses): validation errors (-129) or the
 * service's status; updates the caller's out_vec[i].len. */
psa_status_t spm_call(int32_t handle, int32_t type, uint32_t in_vec, uint32_t in_len,
                      uint32_t out_vec, uint32_t out_len, int32_t msg_client_id);
/* psa_close: frees a valid handle; anything else is ignored. */
void spm_close(int32_t handle, int32_t msg_client_id);

#endif /* SE_SPM_INTERNAL_H */
