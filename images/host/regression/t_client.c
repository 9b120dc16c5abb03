/* regression/t_client.c - suite "client": the raw PSA client calls against the Host SPM and
 * the PSA Proxy. */
#include "psa/client.h"
#include "psa/storage_common.h"
#include "psa_host_sids.h"
#include "psa_release.h"
#include "test.h"

#define S "client"

#define SID_UNKNOWN         0x1234u
#define BOGUS_HANDLE        ((psa_handle_t)0x7EADBEEF)
#define SECURE_SRAM_ADDR    0x30000000u     /* Secure alias: not usable by a non-secure client */
#define UID_NEVER_SET       ((psa_storage_uid_t)0xC11E47u)

/* The 16 forwarded services minus the NV counter, which refuses non-secure clients. */
static const uint32_t ns_forwarded_sids[] = {
    SID_CRYPTO,
    SID_ATTEST_GET_TOKEN, SID_ATTEST_GET_TOKEN_SIZE, SID_ATTEST_GET_PUBLIC_KEY,
    SID_ITS_SET, SID_ITS_GET, SID_ITS_GET_INFO, SID_ITS_REMOVE,
    SID_PLATFORM_SYSTEM_RESET, SID_PLATFORM_IOCTL,
    SID_PS_SET, SID_PS_GET, SID_PS_GET_INFO, SID_PS_REMOVE, SID_PS_GET_SUPPORT,
};

#define N_ITS_CONN          16u             /* the proxy's pool of SE connections */

static psa_handle_t conn[N_ITS_CONN];

static void t_version_forwarded(void)
{
    t_begin(S, "version_forwarded");
    for (unsigned i = 0; i < sizeof(ns_forwarded_sids) / sizeof(ns_forwarded_sids[0]); i++) {
        uint32_t sid = ns_forwarded_sids[i];
        if (!t_expect_hex(t_label("psa_version(", sid, ")"), psa_version(sid), SID_VERSION)) {
            break;
        }
    }
    t_end();
}

/* The connection-based service the connection tests use: ITS get_info (0x72) up to v1.4; from
 * v1.5 (psa_release.h) ITS is stateless and the platform IOCTL service (0x41) is used. */
#if STORAGE_ATTEST_STATELESS
#define SID_CONN        SID_PLATFORM_IOCTL
#define SID_CONN_TEXT   "0x41"
#define SID_LIMIT       SID_PLATFORM_IOCTL
#define SID_LIMIT_TEXT  "0x41"
#else
#define SID_CONN        SID_ITS_GET_INFO
#define SID_CONN_TEXT   "0x72"
#define SID_LIMIT       SID_ITS_SET
#define SID_LIMIT_TEXT  "0x70"
#endif

/* psa_connect(SID_CONN), checked: the handle, or 0 (the check failed). */
static psa_handle_t connect_get_info(void)
{
    psa_handle_t h = psa_connect(SID_CONN, SID_VERSION);

    return t_expect_true("psa_connect(" SID_CONN_TEXT ") returned a handle > 0", h > 0) ? h : PSA_NULL_HANDLE;
}

/* One psa_call to ITS get_info, expected to give `expected`: on a connection of its own to
 * 0x72, or (v1.5+) on the stateless ITS handle with the GET_INFO type. */
static void expect_call(const char *what, const psa_invec *in_vec, size_t in_len,
                        psa_outvec *out_vec, size_t out_len, psa_status_t expected)
{
#if STORAGE_ATTEST_STATELESS
    t_expect_status(what, psa_call(HANDLE_ITS, STATELESS_FIRST_TYPE + 2, in_vec, in_len, out_vec, out_len),
                    expected);
#else
    psa_handle_t h = connect_get_info();

    if (h > 0) {
        t_expect_status(what, psa_call(h, PSA_IPC_CALL, in_vec, in_len, out_vec, out_len),
                        expected);
        psa_close(h);
    }
#endif
}

static void t_connect_close(void)
{
    t_begin(S, "connect_close");
    psa_handle_t h = connect_get_info();
    if (h > 0) {
        psa_close(h);
    }
    t_end();
}

/* A test of a connect expected to fail; closes the handle if it unexpectedly succeeded. */
static void t_connect_fails(const char *name, const char *what, uint32_t sid, uint32_t version,
                            psa_status_t expected)
{
    t_begin(S, name);
    psa_handle_t h = psa_connect(sid, version);
    t_expect_status(what, h, expected);
    if (h > 0) {
        psa_close(h);
    }
    t_end();
}

/* A valid raw call through the proxy: ITS get_info of a uid nobody sets. */
static void t_call_forwarded(void)
{
    psa_storage_uid_t uid = UID_NEVER_SET;
    struct psa_storage_info_t info = {0u, 0u, 0u};
    psa_invec in_vec[1] = {{&uid, sizeof(uid)}};
    psa_outvec out_vec[1] = {{&info, sizeof(info)}};

    t_begin(S, "call_forwarded");
    expect_call("psa_call", in_vec, 1u, out_vec, 1u, PSA_ERROR_DOES_NOT_EXIST);
    t_end();
}

static void t_call_in_len_too_big(void)
{
    psa_storage_uid_t uid = UID_NEVER_SET;
    psa_invec in_vec[5];

    for (unsigned i = 0; i < 5u; i++) {
        in_vec[i].base = &uid;
        in_vec[i].len = sizeof(uid);
    }
    t_begin(S, "call_in_len_too_big");
    expect_call("psa_call(in_len 5)", in_vec, 5u, NULL, 0u, PSA_ERROR_PROGRAMMER_ERROR);
    t_end();
}

static void t_call_invalid_handle(void)
{
    psa_storage_uid_t uid = UID_NEVER_SET;
    struct psa_storage_info_t info;
    psa_invec in_vec[1] = {{&uid, sizeof(uid)}};
    psa_outvec out_vec[1] = {{&info, sizeof(info)}};

    t_begin(S, "call_invalid_handle");
    t_expect_status("psa_call(0x7eadbeef)",
                    psa_call(BOGUS_HANDLE, PSA_IPC_CALL, in_vec, 1u, out_vec, 1u),
                    PSA_ERROR_PROGRAMMER_ERROR);
    /* a handle that was valid once */
    psa_handle_t h = connect_get_info();
    if (h > 0) {
        psa_close(h);
        t_expect_status("psa_call(closed handle)",
                        psa_call(h, PSA_IPC_CALL, in_vec, 1u, out_vec, 1u),
                        PSA_ERROR_PROGRAMMER_ERROR);
    }
    t_end();
}

static void t_call_invec_secure_mem(void)
{
    struct psa_storage_info_t info;
    psa_invec in_vec[1] = {{(const void *)SECURE_SRAM_ADDR, sizeof(psa_storage_uid_t)}};
    psa_outvec out_vec[1] = {{&info, sizeof(info)}};

    t_begin(S, "call_invec_secure_mem");
    expect_call("psa_call(in_vec[0].base 0x30000000)", in_vec, 1u, out_vec, 1u,
                PSA_ERROR_PROGRAMMER_ERROR);
    t_end();
}

static void t_close_null_handle(void)
{
    t_begin(S, "close_null_handle");
    psa_close(PSA_NULL_HANDLE);     /* no effect; passing = it returned */
    t_end();
}

/* 16 connections fill the proxy's pool of SE connections; the 17th is refused by the proxy
 * with INSUFFICIENT_MEMORY. After closing them all a new connection works again. */
static void t_connection_limit(void)
{
    unsigned opened = 0;

    t_begin(S, "connection_limit");
    for (unsigned i = 0; i < N_ITS_CONN; i++) {
        conn[i] = psa_connect(SID_LIMIT, SID_VERSION);
        if (!t_expect_true("the first 16 psa_connect(" SID_LIMIT_TEXT ") return handles > 0", conn[i] > 0)) {
            break;
        }
        opened++;
    }
    if (opened == N_ITS_CONN) {
        psa_handle_t extra = psa_connect(SID_LIMIT, SID_VERSION);
        t_expect_status("17th psa_connect(" SID_LIMIT_TEXT ")", extra, PSA_ERROR_INSUFFICIENT_MEMORY);
        if (extra > 0) {
            psa_close(extra);
        }
    }
    for (unsigned i = 0; i < opened; i++) {
        psa_close(conn[i]);
    }
    psa_handle_t again = psa_connect(SID_LIMIT, SID_VERSION);
    if (t_expect_true("psa_connect(" SID_LIMIT_TEXT ") after closing all returned a handle > 0", again > 0)) {
        psa_close(again);
    }
    t_end();
}

void suite_client(void)
{
    t_one_hex(S, "framework_version", "psa_framework_version", psa_framework_version(),
              PSA_FRAMEWORK_VERSION);
    t_version_forwarded();
    t_one_hex(S, "version_nv_counter_ns", "psa_version(0x42)",
              psa_version(SID_PLATFORM_NV_COUNTER), PSA_VERSION_NONE);
    t_one_hex(S, "version_unknown_sid", "psa_version(0x1234)", psa_version(SID_UNKNOWN),
              PSA_VERSION_NONE);
    t_connect_close();
    t_connect_fails("connect_unknown_sid", "psa_connect(0x1234)", SID_UNKNOWN, 1u,
                    PSA_ERROR_CONNECTION_REFUSED);
    t_connect_fails("connect_nv_counter_ns", "psa_connect(0x42)", SID_PLATFORM_NV_COUNTER,
                    SID_VERSION, PSA_ERROR_CONNECTION_REFUSED);
    t_connect_fails("connect_wrong_version", "psa_connect(0x72, version 2)", SID_ITS_GET_INFO,
                    2u, PSA_ERROR_CONNECTION_REFUSED);
    t_call_forwarded();
    t_call_in_len_too_big();
    t_call_invalid_handle();
    t_call_invec_secure_mem();
    t_close_null_handle();
    t_connection_limit();
    /* psa_call with type > 0 on a v1.3 connection-based service: the TF-M v1.3 proxy panics
     * (it forwards only PSA_IPC_CALL), so it is not called. */
    t_skip(S, "call_type_positive");
}
