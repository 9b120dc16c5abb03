/* spm.h - the SE firmware's service interface: what a Root-of-Trust service sees of a message,
 * the psa_read/psa_skip/psa_write equivalents, and the service registry.
 *
 * Model: every request arrives through the Host mailbox as a non-secure caller (client_id -1).
 * The SPM (spm.c) validates a CALL completely (iovec counts, NS memory ranges, overlapping
 * inputs) before a service runs, so a service only ever sees vectors that lie in NS memory.
 * Services run synchronously inside the PendSV handler: the value a call function returns is
 * the psa_reply status sent back to the Host. Input and output buffers stay in shared memory
 * (like TF-M, which reads and writes the caller's buffers directly); use se_read/se_write. */
#ifndef SE_SPM_H
#define SE_SPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* psa_status_t, psa_handle_t, the status codes and the client/IPC constants (PSA FF-M 1.0
 * values), shared with the Host client library. */
#include "psa_common.h"

/* client_id of every mailbox request unless the platform configuration sets
 * SE_CFG_FORWARD_CLIENT_IDS (the TF-M v1.3 proxy never forwards the real caller). */
#define SE_NS_CLIENT_ID                 ((int32_t)-1)

typedef struct se_msg {
    int32_t type;            /* psa_call type (>= 0) */
    int32_t client_id;       /* -1, or the forwarded caller (negative) with SE_CFG_FORWARD_CLIENT_IDS */
    int32_t handle;
    uint32_t sid;
    uint32_t in_size[4];     /* remaining bytes of each input (shrinks as se_read consumes) */
    uint32_t out_size[4];    /* capacity of each output */
    /* private: */ const uint8_t *in_base[4]; uint8_t *out_base[4]; uint32_t out_written[4];
} se_msg_t;

/* psa_read: copy min(n, bytes left) bytes of input idx into buf and consume them; returns the
 * count (0 for idx >= 4, which is reported on the console: TF-M would panic the partition). */
size_t se_read(se_msg_t *m, uint32_t idx, void *buf, size_t n);
/* psa_skip: consume min(n, bytes left) bytes of input idx; returns the count. */
size_t se_skip(se_msg_t *m, uint32_t idx, size_t n);
/* psa_write: append n bytes to output idx. If that would exceed the output's capacity (or
 * idx >= 4) nothing is written, the event is reported on the console and
 * PSA_ERROR_PROGRAMMER_ERROR (-129) is returned (TF-M would panic the partition); otherwise
 * PSA_SUCCESS. The bytes-written count of every output is reported back to the caller. */
psa_status_t se_write(se_msg_t *m, uint32_t idx, const void *buf, size_t n);

/* A service's call function: handles one PSA_IPC_CALL (m->type >= 0) and returns the status
 * to reply. Any value is passed to the caller unchanged (positive ones included). Returning
 * PSA_ERROR_PROGRAMMER_ERROR puts the connection into an error state (later calls on it get
 * -129), as TF-M does for non-secure callers. */
typedef psa_status_t (*se_call_fn)(se_msg_t *m);

typedef struct {
    uint32_t sid;
    uint32_t version;        /* connect policy STRICT: the client's version must equal this */
    bool ns_allowed;         /* non_secure_clients: false -> VERSION 0, CONNECT refused */
    se_call_fn call;
    const char *name;
} se_service_t;

/* The registry (services.c). */
extern const se_service_t se_services[];
extern const size_t se_service_count;

/* ---- service call functions (one per SID; defined in the file named) ---- */
/* se/its.c */
psa_status_t its_set(se_msg_t *m);               /* SID 0x70 */
psa_status_t its_get(se_msg_t *m);               /* SID 0x71 */
psa_status_t its_get_info(se_msg_t *m);          /* SID 0x72 */
psa_status_t its_remove(se_msg_t *m);            /* SID 0x73 */
/* se/ps.c */
psa_status_t ps_set(se_msg_t *m);                /* SID 0x60 */
psa_status_t ps_get(se_msg_t *m);                /* SID 0x61 */
psa_status_t ps_get_info(se_msg_t *m);           /* SID 0x62 */
psa_status_t ps_remove(se_msg_t *m);             /* SID 0x63 */
psa_status_t ps_get_support(se_msg_t *m);        /* SID 0x64 */
/* se/crypto_service.c */
psa_status_t crypto_call(se_msg_t *m);           /* SID 0x80 */
/* se/attest_service.c */
psa_status_t attest_get_token(se_msg_t *m);      /* SID 0x20 */
psa_status_t attest_get_token_size(se_msg_t *m); /* SID 0x21 */
psa_status_t attest_get_public_key(se_msg_t *m); /* SID 0x22 */
void attest_init(void);                           /* at boot: the attestation key into the engine */
/* se/platform.c */
psa_status_t platform_system_reset(se_msg_t *m); /* SID 0x40; never returns */
psa_status_t platform_ioctl(se_msg_t *m);        /* SID 0x41 */
psa_status_t platform_nv_counter(se_msg_t *m);   /* SID 0x42 (NS clients not allowed) */

#endif /* SE_SPM_H */
