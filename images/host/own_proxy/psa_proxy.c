/* psa_proxy.c - the PSA Proxy partition of own_proxy_host: forwards PSA client calls to the SE
 * through the NS mailbox, with the shared memory laid out as TF-M v1.3's proxy lays it out
 * (TF-M v1.3.0 psa_proxy.c:197-240, psa_proxy_shared_mem_mngr.c:30-188):
 *
 *   shared_mem @ PSA_PROXY_SHARED_MEMORY_BASE (0x1A408000, input section
 *   PSA_PROXY_SHARED_MEMORY_SECTION -> output section .PSA_PROXY_SHARED_MEMORY, NOLOAD)
 *     0x00 ns_mailbox_queue   60 bytes (the queue the SE is given, at SE 0x38208000)
 *     0x3C in_vec[4]          psa_invec, bases in the SE view
 *     0x5C out_vec[4]         psa_outvec, bases in the SE view; the SE writes the lengths back
 *     0x7C buffer             SHARED_BUFFER_SIZE = 0x78000 - 0x7C bytes: inputs, then outputs
 *
 * A call: inputs copied into the buffer one after the other, outputs reserved after them, every
 * base of in_vec[]/out_vec[] (NULL ones too) and both array pointers translated Host -> SE,
 * MAILBOX_PSA_CALL with type PSA_IPC_CALL and client_id -1; on PSA_SUCCESS the bases are
 * translated back and out_vec[i].len bytes copied to the caller. Connection handles are the
 * SE's own (TF-M keeps them as the Host connection's rhandle; here the caller holds them, as
 * no Host SPM sits in between). Unlike TF-M's startup, only the header of the region is
 * zeroed, not all of it. */
#include <stdint.h>

#include "board_host.h"
#include "own_proxy.h"

#define NON_SECURE_CLIENT_ID    (-1)
#define SHARED_BUFFER_SIZE      (HOST_SHARED_SIZE - sizeof(struct mb_queue) \
                                 - PSA_MAX_IOVEC * (sizeof(psa_invec) + sizeof(psa_outvec)))

struct shared_mem_t {
    struct mb_queue ns_mailbox_queue;
    psa_invec in_vec[PSA_MAX_IOVEC];
    psa_outvec out_vec[PSA_MAX_IOVEC];
    uint8_t buffer[SHARED_BUFFER_SIZE];
};

_Static_assert(__builtin_offsetof(struct shared_mem_t, in_vec) == 0x3C, "in_vec @0x3C");
_Static_assert(__builtin_offsetof(struct shared_mem_t, out_vec) == 0x5C, "out_vec @0x5C");
_Static_assert(__builtin_offsetof(struct shared_mem_t, buffer) == 0x7C, "buffer @0x7C");
_Static_assert(sizeof(struct shared_mem_t) == HOST_SHARED_SIZE, "fills PSA_PROXY_SHARED_MEMORY_SIZE");

__attribute__((section("PSA_PROXY_SHARED_MEMORY_SECTION"), used, aligned(8)))
static struct shared_mem_t shared_mem;

uintptr_t psa_proxy_shared_base(void)
{
    return (uintptr_t)&shared_mem;
}

psa_status_t psa_proxy_sp_init(void)
{
    if (tfm_platform_ns_wait_for_s_cpu_ready() != 0) {
        return PSA_ERROR_HARDWARE_FAILURE;
    }
    if (tfm_ns_mailbox_init(&shared_mem.ns_mailbox_queue) != MAILBOX_SUCCESS) {
        return PSA_ERROR_GENERIC_ERROR;
    }
    return PSA_SUCCESS;
}

uint32_t psa_proxy_framework_version(void)
{
    return PSA_FRAMEWORK_VERSION;
}

/* One mailbox request; a mailbox failure is PSA_ERROR_COMMUNICATION_FAILURE. */
static int32_t forward(uint32_t call_type, const struct psa_client_params_t *params)
{
    int32_t reply = 0;
    if (tfm_ns_mailbox_client_call(call_type, params, NON_SECURE_CLIENT_ID, &reply) != MAILBOX_SUCCESS) {
        return PSA_ERROR_COMMUNICATION_FAILURE;
    }
    return reply;
}

psa_handle_t psa_proxy_connect(uint32_t sid, uint32_t version)
{
    struct psa_client_params_t p = { .psa_connect_params = { sid, version } };
    return forward(MAILBOX_PSA_CONNECT, &p);
}

void psa_proxy_close(psa_handle_t se_handle)
{
    struct psa_client_params_t p = { .psa_close_params = { se_handle } };
    (void)forward(MAILBOX_PSA_CLOSE, &p);
}

/* Copy the inputs into the buffer and reserve the outputs; PSA_ERROR_INSUFFICIENT_MEMORY when
 * they do not fit. Fills params' vector fields with the SE addresses of the shared arrays. */
static psa_status_t put_msg_into_shared_mem(const psa_invec *in_vec, size_t in_len,
                                            const psa_outvec *out_vec, size_t out_len,
                                            struct psa_client_params_t *params)
{
    size_t used = 0;
    for (unsigned i = 0; i < PSA_MAX_IOVEC; i++) {
        shared_mem.in_vec[i] = (psa_invec){ NULL, 0 };
        shared_mem.out_vec[i] = (psa_outvec){ NULL, 0 };
    }
    for (size_t i = 0; i < in_len; i++) {
        if (in_vec[i].len > SHARED_BUFFER_SIZE - used) {
            return PSA_ERROR_INSUFFICIENT_MEMORY;
        }
        __builtin_memcpy(&shared_mem.buffer[used], in_vec[i].base, in_vec[i].len);
        shared_mem.in_vec[i] = (psa_invec){ &shared_mem.buffer[used], in_vec[i].len };
        used += in_vec[i].len;
    }
    for (size_t i = 0; i < out_len; i++) {
        if (out_vec[i].len > SHARED_BUFFER_SIZE - used) {
            return PSA_ERROR_INSUFFICIENT_MEMORY;
        }
        shared_mem.out_vec[i] = (psa_outvec){ &shared_mem.buffer[used], out_vec[i].len };
        used += out_vec[i].len;
    }
    for (unsigned i = 0; i < PSA_MAX_IOVEC; i++) {
        shared_mem.in_vec[i].base = translate_addr_from_host_to_se((void *)shared_mem.in_vec[i].base);
        shared_mem.out_vec[i].base = translate_addr_from_host_to_se(shared_mem.out_vec[i].base);
    }
    params->psa_call_params.in_vec = translate_addr_from_host_to_se(shared_mem.in_vec);
    params->psa_call_params.in_len = in_len;
    params->psa_call_params.out_vec = translate_addr_from_host_to_se(shared_mem.out_vec);
    params->psa_call_params.out_len = out_len;
    return PSA_SUCCESS;
}

/* Copy what the SE wrote (out_vec[i].len bytes, the actual count) back to the caller. */
static void write_back_results(psa_outvec *out_vec, size_t out_len)
{
    for (size_t i = 0; i < out_len; i++) {
        const void *src = translate_addr_from_se_to_host(shared_mem.out_vec[i].base);
        size_t n = shared_mem.out_vec[i].len;
        if (n > out_vec[i].len) {
            n = out_vec[i].len;
        }
        __builtin_memcpy(out_vec[i].base, src, n);
        out_vec[i].len = n;
    }
}

psa_status_t psa_proxy_call(psa_handle_t se_handle, const psa_invec *in_vec, size_t in_len,
                            psa_outvec *out_vec, size_t out_len)
{
    if (in_len > PSA_MAX_IOVEC || out_len > PSA_MAX_IOVEC) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    struct psa_client_params_t p = { .psa_call_params = { .handle = se_handle, .type = PSA_IPC_CALL } };
    psa_status_t status = put_msg_into_shared_mem(in_vec, in_len, out_vec, out_len, &p);
    if (status == PSA_SUCCESS) {
        status = forward(MAILBOX_PSA_CALL, &p);
    }
    if (status == PSA_SUCCESS) {
        write_back_results(out_vec, out_len);
    } else {
        for (size_t i = 0; i < out_len; i++) {
            out_vec[i].len = 0;
        }
    }
    return status;
}
