/* spm.c - the SE's partition manager for mailbox (non-secure) callers: service lookup,
 * connections, psa_call validation, and the se_read/se_skip/se_write message accessors.
 *
 * Validation follows the TF-M v1.3 SPM rules for an NS caller (every failure is returned,
 * never a panic): iovec counts, connection state, NS memory ranges of the iovec arrays and of
 * every buffer, overlapping inputs. The iovec arrays are copied into SE RAM before they are
 * checked, so the Host cannot change them between the check and the use. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform_config.h"
#include "print.h"
#include "spm.h"
#include "spm_internal.h"

void *memcpy(void *dst, const void *src, size_t n);

/* psa_invec / psa_outvec as the Host lays them out (32-bit pointers and sizes). */
struct ns_iovec {
    uint32_t base;
    uint32_t len;
};

struct conn {
    int32_t handle;             /* 0 = free */
    int32_t client_id;          /* the client that opened it */
    bool error;                 /* a call on it was answered -129: later calls fail */
    const se_service_t *svc;
};

static struct conn conns[SE_CONN_MAX];
static uint32_t conn_seq;       /* handle generator */

/* ---- NS memory ------------------------------------------------------------------------- */

static bool range_in(uint32_t addr, uint32_t len, uint32_t base, uint32_t size)
{
    if (addr < base) {
        return false;
    }
    uint32_t off = addr - base;
    return off <= size && len <= size - off;
}

bool ns_mem_ok(uint32_t addr, uint32_t len, bool write)
{
    const volatile struct se_platform_config *cfg = se_platform_cfg();

    if (len == 0u) {
        return true;
    }
    if (range_in(addr, len, cfg->ns_data_start, cfg->ns_data_size)) {
        return true;
    }
    for (uint32_t i = 0; i < SE_HOST_VIEW_RANGES; i++) {
        if (range_in(addr, len, cfg->host_view[i].start, cfg->host_view[i].size)) {
            return true;            /* zero-copy: an IOVEC in Host RAM itself */
        }
    }
    return !write && range_in(addr, len, cfg->ns_code_start, cfg->ns_code_size);
}

/* Byte copy out of NS memory: no alignment is assumed (the Host chooses the addresses). */
static void ns_copy_in(void *dst, uint32_t src, uint32_t n)
{
    const volatile uint8_t *s = (const volatile uint8_t *)(uintptr_t)src;
    uint8_t *d = dst;
    while (n--) {
        *d++ = *s++;
    }
}

static void ns_store_u32(uint32_t addr, uint32_t v)
{
    if ((addr & 3u) == 0u) {
        *(volatile uint32_t *)(uintptr_t)addr = v;
        return;
    }
    volatile uint8_t *d = (volatile uint8_t *)(uintptr_t)addr;
    for (unsigned i = 0; i < 4u; i++) {
        d[i] = (uint8_t)(v >> (8u * i));
    }
}

/* ---- services and connections ---------------------------------------------------------- */

static const se_service_t *find_service(uint32_t sid)
{
    for (size_t i = 0; i < se_service_count; i++) {
        if (se_services[i].sid == sid) {
            return &se_services[i];
        }
    }
    return NULL;
}

static struct conn *find_conn(int32_t handle)
{
    if (handle <= 0) {
        return NULL;
    }
    struct conn *c = &conns[(uint32_t)handle % SE_CONN_MAX];
    return c->handle == handle ? c : NULL;
}

/* The caller of a mailbox message (see spm_internal.h): -1, or the forwarded id; a forwarded
 * id that is not negative comes back as 0 (refused by the callers). */
static int32_t caller_id(int32_t msg_client_id)
{
    if ((se_platform_cfg()->flags & SE_CFG_FORWARD_CLIENT_IDS) == 0u) {
        return SE_NS_CLIENT_ID;
    }
    return msg_client_id < 0 ? msg_client_id : 0;
}

/* ---- stateless services (TF-M v1.4+) ---------------------------------------------------
 * A stateless handle is bit 30 | service version << 8 | index (0-based manifest
 * stateless_handle - 1). v1.4 makes crypto stateless (index 0); v1.5 adds PS, ITS and
 * attestation (1, 2, 3), whose function is the psa_call type 1001 + n: the firmware serves
 * it with the v1.3 per-function service first_sid + n. */
#define STATIC_HANDLE_BIT       0x40000000u
#define STATELESS_FIRST_TYPE    1001

struct stateless_entry {
    uint32_t sid;               /* the service (the first of the family for typed ones) */
    uint32_t since;             /* first release with it stateless */
    uint32_t functions;         /* 0: the type must be PSA_IPC_CALL; else types 1001.. */
};

static const struct stateless_entry stateless_table[] = {
    { 0x80u, 14u, 0u },         /* TFM_CRYPTO */
    { 0x60u, 15u, 5u },         /* TFM_PROTECTED_STORAGE_SERVICE: SET, GET, GET_INFO, REMOVE, GET_SUPPORT */
    { 0x70u, 15u, 4u },         /* TFM_INTERNAL_TRUSTED_STORAGE_SERVICE: SET, GET, GET_INFO, REMOVE */
    { 0x20u, 15u, 2u },         /* TFM_ATTESTATION_SERVICE: GET_TOKEN, GET_TOKEN_SIZE */
};
#define STATELESS_COUNT (sizeof(stateless_table) / sizeof(stateless_table[0]))

static bool is_static_handle(int32_t handle)
{
    return se_tfm_release() >= 14u && ((uint32_t)handle & STATIC_HANDLE_BIT) != 0u;
}

/* The service a stateless call reaches and the type it sees; PSA_ERROR_PROGRAMMER_ERROR for an
 * index past the table or not stateless in this release, a wrong version or an unknown type
 * (TF-M's services panic or spin there; the firmware answers instead). */
static psa_status_t stateless_target(int32_t handle, int32_t *type, const se_service_t **svc)
{
    uint32_t index = (uint32_t)handle & 0xFFu;
    uint32_t version = ((uint32_t)handle >> 8) & 0xFFu;

    if (index >= STATELESS_COUNT ||
        stateless_table[index].since > se_tfm_release()) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    const struct stateless_entry *e = &stateless_table[index];
    uint32_t sid = e->sid;
    if (e->functions != 0u) {
        if (*type < STATELESS_FIRST_TYPE || *type >= STATELESS_FIRST_TYPE + (int32_t)e->functions) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        sid += (uint32_t)(*type - STATELESS_FIRST_TYPE);
        *type = PSA_IPC_CALL;
    } else if (*type != PSA_IPC_CALL) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    *svc = find_service(sid);
    if (*svc == NULL || version != (*svc)->version) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return PSA_SUCCESS;
}

/* A connect to a SID this release serves statelessly: -129 for the service's own SID, -130 for
 * the v1.3 per-function SIDs the release no longer has; PSA_SUCCESS otherwise. */
static psa_status_t stateless_connect_refusal(uint32_t sid)
{
    for (uint32_t i = 0; i < STATELESS_COUNT; i++) {
        const struct stateless_entry *e = &stateless_table[i];
        if (e->since > se_tfm_release()) {
            continue;
        }
        if (sid == e->sid) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        if (sid > e->sid && sid < e->sid + e->functions) {
            return PSA_ERROR_CONNECTION_REFUSED;
        }
    }
    return PSA_SUCCESS;
}

uint32_t spm_version(uint32_t sid)
{
    const se_service_t *svc = find_service(sid);
    if (svc == NULL || !svc->ns_allowed) {
        return PSA_VERSION_NONE;
    }
    return svc->version;
}

psa_status_t spm_connect(uint32_t sid, uint32_t version, int32_t msg_client_id)
{
    const se_service_t *svc = find_service(sid);
    int32_t client = caller_id(msg_client_id);
    psa_status_t refusal = stateless_connect_refusal(sid);
    if (refusal != PSA_SUCCESS) {
        return refusal;
    }
    if (svc == NULL || !svc->ns_allowed || version != svc->version || client == 0) {
        return PSA_ERROR_CONNECTION_REFUSED;
    }
    for (uint32_t i = 0; i < SE_CONN_MAX; i++) {
        struct conn *c = &conns[i];
        if (c->handle != 0) {
            continue;
        }
        /* handle = seq * 16 + slot: unique, positive, at most 0x3FFFFFFF; slot = handle % 16 */
        conn_seq = (conn_seq + 1u) & 0x03FFFFFFu;
        if (conn_seq == 0u) {
            conn_seq = 1u;
        }
        c->handle = (int32_t)((conn_seq << 4) | i);
        c->client_id = client;
        c->error = false;
        c->svc = svc;
        return c->handle;
    }
    return PSA_ERROR_CONNECTION_BUSY;
}

void spm_close(int32_t handle, int32_t msg_client_id)
{
    struct conn *c = find_conn(handle);
    if (c != NULL && c->client_id == caller_id(msg_client_id)) {
        c->handle = 0;
        c->error = false;
        c->svc = NULL;
    }
}

psa_status_t spm_call(int32_t handle, int32_t type, uint32_t in_vec, uint32_t in_len,
                      uint32_t out_vec, uint32_t out_len, int32_t msg_client_id)
{
    struct ns_iovec in[PSA_MAX_IOVEC];
    struct ns_iovec out[PSA_MAX_IOVEC];

    if (type < 0) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (in_len > PSA_MAX_IOVEC || out_len > PSA_MAX_IOVEC || in_len + out_len > PSA_MAX_IOVEC) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    int32_t client = caller_id(msg_client_id);
    struct conn stateless;      /* a stateless call's connection lives for this call only */
    struct conn *c;
    if (is_static_handle(handle)) {
        const se_service_t *svc = NULL;
        psa_status_t st = stateless_target(handle, &type, &svc);
        if (st != PSA_SUCCESS) {
            return st;
        }
        stateless.handle = handle;
        stateless.client_id = client;
        stateless.error = false;
        stateless.svc = svc;
        c = &stateless;
    } else {
        c = find_conn(handle);
    }
    if (c == NULL || c->error || client == 0 || c->client_id != client) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }

    /* The arrays: checked, then copied into SE RAM; the copies are what gets checked next. */
    if (!ns_mem_ok(in_vec, in_len * sizeof(struct ns_iovec), false) ||
        !ns_mem_ok(out_vec, out_len * sizeof(struct ns_iovec), true)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ns_copy_in(in, in_vec, in_len * sizeof(struct ns_iovec));
    ns_copy_in(out, out_vec, out_len * sizeof(struct ns_iovec));

    for (uint32_t i = 0; i < in_len; i++) {
        if (!ns_mem_ok(in[i].base, in[i].len, false)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
    }
    for (uint32_t i = 0; i < in_len; i++) {
        for (uint32_t j = i + 1u; j < in_len; j++) {
            /* both non-empty and [a, a+la) meets [b, b+lb); the ranges were checked above,
             * so the sums cannot wrap */
            if (in[i].len != 0u && in[j].len != 0u &&
                in[i].base < in[j].base + in[j].len && in[j].base < in[i].base + in[i].len) {
                return PSA_ERROR_PROGRAMMER_ERROR;
            }
        }
    }
    for (uint32_t i = 0; i < out_len; i++) {
        if (!ns_mem_ok(out[i].base, out[i].len, true)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
    }

    se_msg_t m;
    m.type = type;
    m.client_id = client;
    m.handle = handle;
    m.sid = c->svc->sid;
    for (uint32_t i = 0; i < PSA_MAX_IOVEC; i++) {
        m.in_size[i] = i < in_len ? in[i].len : 0u;
        m.in_base[i] = i < in_len ? (const uint8_t *)(uintptr_t)in[i].base : NULL;
        m.out_size[i] = i < out_len ? out[i].len : 0u;
        m.out_base[i] = i < out_len ? (uint8_t *)(uintptr_t)out[i].base : NULL;
        m.out_written[i] = 0u;
    }

    psa_status_t status = c->svc->call(&m);

    if (status == PSA_ERROR_PROGRAMMER_ERROR) {
        c->error = true;
    }
    /* Report the bytes written into the caller's (shared) out_vec[i].len. */
    for (uint32_t i = 0; i < out_len; i++) {
        if (m.out_size[i] != 0u) {
            ns_store_u32(out_vec + i * sizeof(struct ns_iovec) + 4u, m.out_written[i]);
        }
    }
    return status;
}

/* ---- message accessors for services ---------------------------------------------------- */

static void report_bad(const char *what, se_msg_t *m, uint32_t idx, size_t n)
{
    print_str("se: ");
    print_str(what);
    print_str(" sid=0x");
    print_hex32(m->sid);
    print_str(" idx=");
    print_udec(idx);
    print_str(" n=");
    print_udec((uint32_t)n);
    print_nl();
}

size_t se_read(se_msg_t *m, uint32_t idx, void *buf, size_t n)
{
    if (idx >= PSA_MAX_IOVEC) {
        report_bad("se_read: bad index", m, idx, n);
        return 0;
    }
    size_t k = n < m->in_size[idx] ? n : m->in_size[idx];
    if (k != 0u) {
        memcpy(buf, m->in_base[idx], k);
        m->in_base[idx] += k;
        m->in_size[idx] -= (uint32_t)k;
    }
    return k;
}

size_t se_skip(se_msg_t *m, uint32_t idx, size_t n)
{
    if (idx >= PSA_MAX_IOVEC) {
        report_bad("se_skip: bad index", m, idx, n);
        return 0;
    }
    size_t k = n < m->in_size[idx] ? n : m->in_size[idx];
    m->in_base[idx] += k;
    m->in_size[idx] -= (uint32_t)k;
    return k;
}

psa_status_t se_write(se_msg_t *m, uint32_t idx, const void *buf, size_t n)
{
    if (idx >= PSA_MAX_IOVEC) {
        report_bad("se_write: bad index", m, idx, n);
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uint32_t room = m->out_size[idx] - m->out_written[idx];
    if (n > room) {
        report_bad("se_write: output overflow", m, idx, n);
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (n != 0u) {
        memcpy(m->out_base[idx] + m->out_written[idx], buf, n);
        m->out_written[idx] += (uint32_t)n;
    }
    return PSA_SUCCESS;
}
