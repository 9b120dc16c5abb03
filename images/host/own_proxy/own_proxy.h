/* own_proxy.h - the Host secure side of own_proxy_host: a PSA Proxy partition and the NS half
 * of the TF-M v1.3 mailbox, with TF-M's function names (tfm_ns_mailbox.h, psa_proxy.c,
 * tfm_plat_psa_proxy_addr_trans.h, the Musca-B1 sse_200 mailbox glue), written for this image. */
#ifndef OWN_PROXY_H
#define OWN_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "mailbox_abi.h"
#include "psa/client.h"

/* The call parameters the NS mailbox copies into a slot (TF-M's psa_client_params_t, 24 bytes:
 * the words of struct mb_msg.params). */
struct psa_client_params_t {
    union {
        struct { uint32_t sid; } psa_version_params;
        struct { uint32_t sid; uint32_t version; } psa_connect_params;
        struct {
            psa_handle_t handle;
            int32_t type;
            const psa_invec *in_vec;
            size_t in_len;
            psa_outvec *out_vec;
            size_t out_len;
        } psa_call_params;
        struct { psa_handle_t handle; } psa_close_params;
    };
};
_Static_assert(sizeof(struct psa_client_params_t) == sizeof(((struct mb_msg *)0)->params),
               "psa_client_params_t is the 24-byte params of a mailbox message");

/* ---- platform glue (sse_200/mailbox) ---- */
/* Start listening to the SE and send IPC_SYNC_MAGIC; 0 on success. */
int32_t tfm_platform_ns_wait_for_s_cpu_ready(void);
/* The queue-address handshake: wait for NS_MAILBOX_INIT_ENABLE, send the queue's SE address,
 * wait for S_MAILBOX_READY. */
int32_t tfm_ns_mailbox_hal_init(struct mb_queue *queue);
/* Ring the SE: PSA_CLIENT_CALL_REQ_MAGIC. */
int32_t tfm_ns_mailbox_hal_notify_peer(void);
/* Host view <-> SE view of the shared memory (Musca-B1: +-0x1DE00000, no range check). */
void *translate_addr_from_host_to_se(void *addr);
void *translate_addr_from_se_to_host(void *addr);

/* ---- NS mailbox (tfm_ns_mailbox.c) ---- */
/* Zero the queue, mark every slot empty, run the handshake. MAILBOX_SUCCESS or an error. */
int32_t tfm_ns_mailbox_init(struct mb_queue *queue);
/* Put one request in a free slot, ring the SE and wait for its reply; *reply = return_val. */
int32_t tfm_ns_mailbox_client_call(uint32_t call_type, const struct psa_client_params_t *params,
                                   int32_t client_id, int32_t *reply);

/* ---- the proxy partition (psa_proxy.c) ---- */
/* Partition entry: SE ready + mailbox init. Returns PSA_SUCCESS, or the failure TF-M's proxy
 * would panic on (here there is no SPM to take over, so the caller reports it). */
psa_status_t psa_proxy_sp_init(void);
/* What the Host SPM answers itself: PSA_FRAMEWORK_VERSION (no mailbox traffic). */
uint32_t psa_proxy_framework_version(void);
/* Forwarded client calls; handles are the SE's connection handles. */
psa_handle_t psa_proxy_connect(uint32_t sid, uint32_t version);
psa_status_t psa_proxy_call(psa_handle_t se_handle, const psa_invec *in_vec, size_t in_len,
                            psa_outvec *out_vec, size_t out_len);
void psa_proxy_close(psa_handle_t se_handle);
/* Host address of the shared structure (the mailbox queue is its first member). */
uintptr_t psa_proxy_shared_base(void);

#endif /* OWN_PROXY_H */
