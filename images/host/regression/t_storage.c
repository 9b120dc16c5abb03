/* regression/t_storage.c - suites "its" and "ps": the same checks on both stores where the
 * APIs agree, then each store's own tests. */
#include "host_ns.h"
#include "psa/internal_trusted_storage.h"
#include "psa/protected_storage.h"
#include "test.h"

struct storage_api {
    const char *suite;
    psa_status_t (*set)(psa_storage_uid_t, size_t, const void *, psa_storage_create_flags_t);
    psa_status_t (*get)(psa_storage_uid_t, size_t, size_t, void *, size_t *);
    psa_status_t (*get_info)(psa_storage_uid_t, struct psa_storage_info_t *);
    psa_status_t (*remove)(psa_storage_uid_t);
    size_t max_size;            /* largest asset the service accepts */
    psa_storage_uid_t uid_base;
    int info_has_capacity;      /* PS get_info leaves capacity undefined (TF-M v1.3) */
};

static const struct storage_api its_api = {
    "its", psa_its_set, psa_its_get, psa_its_get_info, psa_its_remove, 512u, 0x1000u, 1,
};
static const struct storage_api ps_api = {
    "ps", psa_ps_set, psa_ps_get, psa_ps_get_info, psa_ps_remove, 2048u, 0x2000u, 0,
};

/* uids, relative to uid_base */
#define U_RT        1u      /* set/get round trip, removed by the "remove" test */
#define U_MISSING   2u      /* never set */
#define U_WO        3u      /* write-once: stays in the store for good */
#define U_MAX       4u      /* max-size asset, removed again */
#define U_FLAGS     5u      /* set with an undefined flag (refused) */
#define U_BIG       6u      /* one byte too large (refused) */
#define UID_SHARED  ((psa_storage_uid_t)0x3001u)    /* set in ITS, looked up in PS */

#define RT_LEN      40u
#define RT2_LEN     20u
#define WO_LEN      8u
#define FLAG_UNDEFINED  (1u << 3)

static uint8_t wr[2049];
static uint8_t rd[2049 + 16];
static uint8_t ref[64];

static const uint8_t persist_data[16] = {
    'p', 's', 'a', 'e', 'm', 'u', '-', 'i', 't', 's', '-', '5', 'E', 'E', 'D', '!',
};

static void clear_rd(void)
{
    for (size_t i = 0; i < sizeof(rd); i++) {
        rd[i] = 0u;
    }
}

/* get(uid, offset 0, size) into rd (cleared first) must give exactly the n bytes at want
 * ("get", "get length", then data_what); 1 if it all held. */
static int expect_get(const struct storage_api *a, psa_storage_uid_t uid, size_t size,
                      const uint8_t *want, size_t n, const char *data_what)
{
    size_t len = 0u;

    clear_rd();
    return t_expect_status("get", a->get(uid, 0u, size, rd, &len), PSA_SUCCESS) &&
           t_expect_size("get length", (uint32_t)len, (uint32_t)n) &&
           t_expect_bytes(data_what, rd, want, n);
}

/* ---------------------------------------------------------------- common tests */

static void t_set_get(const struct storage_api *a)
{
    t_begin(a->suite, "set_get");
    fill_pattern(ref, RT_LEN, 0x11u);
    if (t_expect_status("set", a->set(a->uid_base + U_RT, RT_LEN, ref, PSA_STORAGE_FLAG_NONE),
                        PSA_SUCCESS)) {
        (void)expect_get(a, a->uid_base + U_RT, 64u, ref, RT_LEN, "data");
    }
    t_end();
}

static void t_get_offset(const struct storage_api *a)
{
    size_t len = 0u;
    psa_storage_uid_t uid = a->uid_base + U_RT;

    t_begin(a->suite, "get_offset");
    clear_rd();
    if (t_expect_status("get(offset 10, size 16)", a->get(uid, 10u, 16u, rd, &len), PSA_SUCCESS) &&
        t_expect_size("get(offset 10, size 16) length", (uint32_t)len, 16u)) {
        t_expect_bytes("get(offset 10, size 16) data", rd, ref + 10, 16u);
    }
    clear_rd();
    if (t_expect_status("get(offset 30, size 64)", a->get(uid, 30u, 64u, rd, &len), PSA_SUCCESS) &&
        t_expect_size("get(offset 30, size 64) length", (uint32_t)len, RT_LEN - 30u)) {
        t_expect_bytes("get(offset 30, size 64) data", rd, ref + 30, RT_LEN - 30u);
    }
    if (t_expect_status("get(offset 40 = size)", a->get(uid, RT_LEN, 8u, rd, &len), PSA_SUCCESS)) {
        t_expect_size("get(offset 40 = size) length", (uint32_t)len, 0u);
    }
    t_end();
}

static void t_get_info(const struct storage_api *a)
{
    struct psa_storage_info_t info = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};

    t_begin(a->suite, "get_info");
    if (t_expect_status("get_info", a->get_info(a->uid_base + U_RT, &info), PSA_SUCCESS)) {
        t_expect_size("size", (uint32_t)info.size, RT_LEN);
        t_expect_hex("flags", info.flags, PSA_STORAGE_FLAG_NONE);
        if (a->info_has_capacity) {
            t_expect_size("capacity", (uint32_t)info.capacity, RT_LEN);
        }
    }
    t_end();
}

static void t_overwrite(const struct storage_api *a)
{
    struct psa_storage_info_t info;
    psa_storage_uid_t uid = a->uid_base + U_RT;

    t_begin(a->suite, "overwrite");
    fill_pattern(ref, RT2_LEN, 0x77u);
    if (t_expect_status("set", a->set(uid, RT2_LEN, ref, PSA_STORAGE_FLAG_NONE), PSA_SUCCESS) &&
        expect_get(a, uid, 64u, ref, RT2_LEN, "data") &&
        t_expect_status("get_info", a->get_info(uid, &info), PSA_SUCCESS)) {
        t_expect_size("get_info size", (uint32_t)info.size, RT2_LEN);
    }
    t_end();
}

static void t_remove(const struct storage_api *a)
{
    size_t len = 0u;
    psa_storage_uid_t uid = a->uid_base + U_RT;

    t_begin(a->suite, "remove");
    t_expect_status("remove", a->remove(uid), PSA_SUCCESS);
    t_expect_status("get after remove", a->get(uid, 0u, 8u, rd, &len), PSA_ERROR_DOES_NOT_EXIST);
    t_expect_status("remove again", a->remove(uid), PSA_ERROR_DOES_NOT_EXIST);
    t_end();
}

static void t_get_missing(const struct storage_api *a)
{
    size_t len = 12345u;
    struct psa_storage_info_t info;
    psa_storage_uid_t uid = a->uid_base + U_MISSING;

    t_begin(a->suite, "get_missing");
    if (t_expect_status("get", a->get(uid, 0u, 16u, rd, &len), PSA_ERROR_DOES_NOT_EXIST)) {
        /* the SPM writes back the bytes written (none) whatever the status */
        t_expect_size("p_data_length", (uint32_t)len, 0u);
    }
    t_expect_status("get_info", a->get_info(uid, &info), PSA_ERROR_DOES_NOT_EXIST);
    t_end();
}

static void t_uid_zero(const struct storage_api *a)
{
    size_t len = 0u;
    struct psa_storage_info_t info;

    t_begin(a->suite, "uid_zero");
    fill_pattern(ref, 8u, 0x01u);
    t_expect_status("set(uid 0)", a->set(0u, 8u, ref, PSA_STORAGE_FLAG_NONE),
                    PSA_ERROR_INVALID_ARGUMENT);
    t_expect_status("get(uid 0)", a->get(0u, 0u, 8u, rd, &len), PSA_ERROR_INVALID_ARGUMENT);
    t_expect_status("get_info(uid 0)", a->get_info(0u, &info), PSA_ERROR_INVALID_ARGUMENT);
    t_expect_status("remove(uid 0)", a->remove(0u), PSA_ERROR_INVALID_ARGUMENT);
    t_end();
}

/* The write-once asset can never be removed, so a run with a store kept from an earlier run
 * finds it already there; both cases are accepted for the first set. */
static void t_write_once(const struct storage_api *a)
{
    struct psa_storage_info_t info = {0u, 0u, 0u};
    psa_storage_uid_t uid = a->uid_base + U_WO;
    uint8_t other[WO_LEN];

    t_begin(a->suite, "write_once");
    fill_pattern(ref, WO_LEN, 0x5Au);
    fill_pattern(other, WO_LEN, 0xA5u);
    psa_status_t st = a->get_info(uid, &info);
    if (st == PSA_ERROR_DOES_NOT_EXIST) {
        t_expect_status("first set(WRITE_ONCE)", a->set(uid, WO_LEN, ref, PSA_STORAGE_FLAG_WRITE_ONCE),
                        PSA_SUCCESS);
    } else if (t_expect_status("get_info before the first set (0 or -140)", st, PSA_SUCCESS)) {
        t_expect_hex("flags of the asset left by an earlier run", info.flags,
                     PSA_STORAGE_FLAG_WRITE_ONCE);
    }
    t_expect_status("set again", a->set(uid, WO_LEN, other, PSA_STORAGE_FLAG_NONE),
                    PSA_ERROR_NOT_PERMITTED);
    t_expect_status("remove", a->remove(uid), PSA_ERROR_NOT_PERMITTED);
    (void)expect_get(a, uid, 64u, ref, WO_LEN, "data (unchanged)");
    if (t_expect_status("get_info", a->get_info(uid, &info), PSA_SUCCESS)) {
        t_expect_hex("flags", info.flags, PSA_STORAGE_FLAG_WRITE_ONCE);
    }
    t_end();
}

static void t_flags_unsupported(const struct storage_api *a)
{
    struct psa_storage_info_t info;
    psa_storage_uid_t uid = a->uid_base + U_FLAGS;

    t_begin(a->suite, "flags_unsupported");
    fill_pattern(ref, 8u, 0x02u);
    t_expect_status("set(flags 0x8)", a->set(uid, 8u, ref, FLAG_UNDEFINED), PSA_ERROR_NOT_SUPPORTED);
    t_expect_status("get_info (nothing stored)", a->get_info(uid, &info), PSA_ERROR_DOES_NOT_EXIST);
    t_end();
}

static void t_set_max_size(const struct storage_api *a)
{
    psa_storage_uid_t uid = a->uid_base + U_MAX;

    t_begin(a->suite, "set_max_size");
    fill_pattern(wr, a->max_size, 0x33u);
    if (t_expect_status(t_label("set(", (uint32_t)a->max_size, " bytes)"),
                        a->set(uid, a->max_size, wr, PSA_STORAGE_FLAG_NONE), PSA_SUCCESS)) {
        (void)expect_get(a, uid, a->max_size + 16u, wr, a->max_size, "data");
        t_expect_status("remove", a->remove(uid), PSA_SUCCESS);
    }
    t_end();
}

static void t_set_too_large(const struct storage_api *a)
{
    struct psa_storage_info_t info;
    psa_storage_uid_t uid = a->uid_base + U_BIG;

    t_begin(a->suite, "set_too_large");
    fill_pattern(wr, a->max_size + 1u, 0x44u);
    t_expect_status(t_label("set(", (uint32_t)a->max_size + 1u, " bytes)"),
                    a->set(uid, a->max_size + 1u, wr, PSA_STORAGE_FLAG_NONE),
                    PSA_ERROR_INVALID_ARGUMENT);
    t_expect_status("get_info (nothing stored)", a->get_info(uid, &info), PSA_ERROR_DOES_NOT_EXIST);
    t_end();
}

/* Leftovers of an interrupted earlier run would make the "not there" checks fail. */
static void cleanup(const struct storage_api *a)
{
    (void)a->remove(a->uid_base + U_RT);
    (void)a->remove(a->uid_base + U_MISSING);
    (void)a->remove(a->uid_base + U_MAX);
    (void)a->remove(a->uid_base + U_FLAGS);
    (void)a->remove(a->uid_base + U_BIG);
}

static void run_common(const struct storage_api *a)
{
    size_t len = 0u;

    cleanup(a);
    t_set_get(a);
    t_get_offset(a);
    t_one_status(a->suite, "get_offset_invalid", "get(offset 41 > size 40)",
                 a->get(a->uid_base + U_RT, RT_LEN + 1u, 8u, rd, &len),
                 PSA_ERROR_INVALID_ARGUMENT);
    t_get_info(a);
    t_overwrite(a);
    t_remove(a);
    t_get_missing(a);
    t_uid_zero(a);
    t_write_once(a);
    t_flags_unsupported(a);
    t_set_max_size(a);
    t_set_too_large(a);
    t_one_status(a->suite, "get_null_len", "get(p_data_length NULL)",
                 a->get(a->uid_base + U_MISSING, 0u, 8u, rd, NULL), PSA_ERROR_INVALID_ARGUMENT);
}

/* ---------------------------------------------------------------- ITS only */

/* Print the asset an earlier run left (DATA its_persist ...), then store 16 known bytes. */
static void t_its_persist(void)
{
    t_begin("its", "persist");
    psa_status_t st = its_persist_report();
    if (st != PSA_ERROR_DOES_NOT_EXIST) {
        t_expect_status("get before set (0 or -140)", st, PSA_SUCCESS);
    }
    if (t_expect_status("set", psa_its_set(ITS_PERSIST_UID, sizeof(persist_data), persist_data,
                                           PSA_STORAGE_FLAG_NONE), PSA_SUCCESS)) {
        (void)expect_get(&its_api, ITS_PERSIST_UID, 64u, persist_data, sizeof(persist_data),
                         "data");
    }
    t_end();
}

void suite_its(void)
{
    t_its_persist();
    run_common(&its_api);
}

/* ---------------------------------------------------------------- PS only */

/* ITS and PS keep separate stores: a uid set in ITS does not exist in PS. */
static void t_ps_separate_from_its(void)
{
    struct psa_storage_info_t info;
    size_t len = 0u;

    t_begin("ps", "separate_from_its");
    (void)psa_ps_remove(UID_SHARED);
    fill_pattern(ref, 12u, 0x99u);
    if (t_expect_status("psa_its_set", psa_its_set(UID_SHARED, 12u, ref, PSA_STORAGE_FLAG_NONE),
                        PSA_SUCCESS)) {
        t_expect_status("psa_ps_get_info", psa_ps_get_info(UID_SHARED, &info),
                        PSA_ERROR_DOES_NOT_EXIST);
        t_expect_status("psa_ps_get", psa_ps_get(UID_SHARED, 0u, 16u, rd, &len),
                        PSA_ERROR_DOES_NOT_EXIST);
        t_expect_status("psa_its_remove", psa_its_remove(UID_SHARED), PSA_SUCCESS);
    }
    t_end();
}

void suite_ps(void)
{
    run_common(&ps_api);
    t_one_hex("ps", "get_support", "psa_ps_get_support", psa_ps_get_support(), 0u);
    t_one_status("ps", "create_unsupported", "psa_ps_create",
                 psa_ps_create(ps_api.uid_base + U_MISSING, 64u, PSA_STORAGE_FLAG_NONE),
                 PSA_ERROR_NOT_SUPPORTED);
    fill_pattern(ref, 8u, 0x03u);
    t_one_status("ps", "set_extended_unsupported", "psa_ps_set_extended",
                 psa_ps_set_extended(ps_api.uid_base + U_MISSING, 0u, 8u, ref),
                 PSA_ERROR_NOT_SUPPORTED);
    t_ps_separate_from_its();
}
