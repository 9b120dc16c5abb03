/* psa/crypto.c - PSA Crypto client for TF-M v1.3: one service (SID 0x80), connect ->
 * PSA_IPC_CALL -> close per API call, in_vec[0] = struct tfm_crypto_pack_iovec. A failed
 * connect gives PSA_ERROR_GENERIC_ERROR. */
#include "psa/client.h"
#include "psa/crypto.h"
#include "psa_host_sids.h"
#include "crypto_pack.h"

/* A request pack with every field zero except the selector. Written field by field so that
 * no memset/memcpy call is generated. */
static void pack_init(struct tfm_crypto_pack_iovec *iov, uint32_t sfn_id)
{
    iov->sfn_id = sfn_id;
    iov->step = 0u;
    iov->key_id = 0u;
    iov->alg = 0u;
    iov->op_handle = 0u;
    iov->capacity = 0u;
    for (unsigned i = 0; i < CRYPTO_MAX_NONCE_LENGTH; i++) {
        iov->aead_in.nonce[i] = 0u;
    }
    iov->aead_in.nonce_length = 0u;
}

/* connect, call, close. *called (if not NULL) tells whether the call was made: the output
 * lengths are copied back to the caller only then. */
static psa_status_t crypto_transact_ex(const psa_invec *in_vec, size_t in_len,
                                       psa_outvec *out_vec, size_t out_len, int *called)
{
    psa_handle_t h = psa_connect(SID_CRYPTO, SID_VERSION);
    if (!PSA_HANDLE_IS_VALID(h)) {
        if (called != NULL) {
            *called = 0;
        }
        return PSA_ERROR_GENERIC_ERROR;
    }
    psa_status_t status = psa_call(h, PSA_IPC_CALL, in_vec, in_len, out_vec, out_len);
    psa_close(h);
    if (called != NULL) {
        *called = 1;
    }
    return status;
}

static psa_status_t crypto_transact(const psa_invec *in_vec, size_t in_len,
                                    psa_outvec *out_vec, size_t out_len)
{
    return crypto_transact_ex(in_vec, in_len, out_vec, out_len, NULL);
}

static void vin(psa_invec *v, const void *base, size_t len)
{
    v->base = base;
    v->len = len;
}

static void vout(psa_outvec *v, void *base, size_t len)
{
    v->base = base;
    v->len = len;
}

psa_status_t psa_crypto_init(void)
{
    return PSA_SUCCESS;
}

/* ---------------------------------------------------------------- keys */

psa_status_t psa_import_key(const psa_key_attributes_t *attributes, const uint8_t *data,
                            size_t data_length, psa_key_id_t *key)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[3];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_IMPORT_KEY);
    vin(&in_vec[0], &iov, sizeof(iov));
    vin(&in_vec[1], attributes, sizeof(*attributes));
    vin(&in_vec[2], data, data_length);
    vout(&out_vec[0], key, sizeof(*key));
    return crypto_transact(in_vec, 3u, out_vec, 1u);
}

psa_status_t psa_export_key(psa_key_id_t key, uint8_t *data, size_t data_size,
                            size_t *data_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_EXPORT_KEY);
    iov.key_id = key;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], data, data_size);
    int called;
    psa_status_t status = crypto_transact_ex(in_vec, 1u, out_vec, 1u, &called);
    if (called) {
        *data_length = out_vec[0].len;    /* whatever the status */
    }
    return status;
}

psa_status_t psa_destroy_key(psa_key_id_t key)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];

    pack_init(&iov, CRYPTO_SFN_DESTROY_KEY);
    iov.key_id = key;
    vin(&in_vec[0], &iov, sizeof(iov));
    return crypto_transact(in_vec, 1u, NULL, 0u);
}

psa_status_t psa_get_key_attributes(psa_key_id_t key, psa_key_attributes_t *attributes)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_GET_KEY_ATTRIBUTES);
    iov.key_id = key;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], attributes, sizeof(*attributes));
    return crypto_transact(in_vec, 1u, out_vec, 1u);
}

/* ---------------------------------------------------------------- hash */

psa_status_t psa_hash_compute(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
                              uint8_t *hash, size_t hash_size, size_t *hash_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[2];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_HASH_COMPUTE);
    iov.alg = alg;
    vin(&in_vec[0], &iov, sizeof(iov));
    vin(&in_vec[1], input, input_length);
    vout(&out_vec[0], hash, hash_size);
    int called;
    psa_status_t status = crypto_transact_ex(in_vec, 2u, out_vec, 1u, &called);
    if (called) {
        *hash_length = out_vec[0].len;    /* whatever the status */
    }
    return status;
}

psa_status_t psa_hash_compare(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
                              const uint8_t *hash, size_t hash_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[3];

    pack_init(&iov, CRYPTO_SFN_HASH_COMPARE);
    iov.alg = alg;
    vin(&in_vec[0], &iov, sizeof(iov));
    vin(&in_vec[1], input, input_length);
    vin(&in_vec[2], hash, hash_length);
    return crypto_transact(in_vec, 3u, NULL, 0u);
}

psa_status_t psa_hash_setup(psa_hash_operation_t *operation, psa_algorithm_t alg)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_HASH_SETUP);
    iov.alg = alg;
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 1u, out_vec, 1u);
}

psa_status_t psa_hash_update(psa_hash_operation_t *operation, const uint8_t *input,
                             size_t input_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[2];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_HASH_UPDATE);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vin(&in_vec[1], input, input_length);
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 2u, out_vec, 1u);
}

psa_status_t psa_hash_finish(psa_hash_operation_t *operation, uint8_t *hash, size_t hash_size,
                             size_t *hash_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[2];

    pack_init(&iov, CRYPTO_SFN_HASH_FINISH);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    vout(&out_vec[1], hash, hash_size);
    int called;
    psa_status_t status = crypto_transact_ex(in_vec, 1u, out_vec, 2u, &called);
    if (called) {
        *hash_length = out_vec[1].len;    /* whatever the status */
    }
    return status;
}

psa_status_t psa_hash_verify(psa_hash_operation_t *operation, const uint8_t *hash,
                             size_t hash_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[2];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_HASH_VERIFY);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vin(&in_vec[1], hash, hash_length);
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 2u, out_vec, 1u);
}

psa_status_t psa_hash_abort(psa_hash_operation_t *operation)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_HASH_ABORT);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 1u, out_vec, 1u);
}

psa_status_t psa_hash_clone(const psa_hash_operation_t *source_operation,
                            psa_hash_operation_t *target_operation)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    if (target_operation->handle != 0u) {
        return PSA_ERROR_BAD_STATE;
    }
    pack_init(&iov, CRYPTO_SFN_HASH_CLONE);
    iov.op_handle = source_operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], &target_operation->handle, sizeof(target_operation->handle));
    return crypto_transact(in_vec, 1u, out_vec, 1u);
}

/* ---------------------------------------------------------------- MAC */

psa_status_t psa_mac_compute(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                             size_t input_length, uint8_t *mac, size_t mac_size,
                             size_t *mac_length)
{
    (void)key;
    (void)alg;
    (void)input;
    (void)input_length;
    (void)mac;
    (void)mac_size;
    (void)mac_length;
    return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_mac_verify(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                            size_t input_length, const uint8_t *mac, size_t mac_length)
{
    (void)key;
    (void)alg;
    (void)input;
    (void)input_length;
    (void)mac;
    (void)mac_length;
    return PSA_ERROR_NOT_SUPPORTED;
}

static psa_status_t mac_setup(uint32_t sfn_id, psa_mac_operation_t *operation,
                              psa_key_id_t key, psa_algorithm_t alg)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    pack_init(&iov, sfn_id);
    iov.key_id = key;
    iov.alg = alg;
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 1u, out_vec, 1u);
}

psa_status_t psa_mac_sign_setup(psa_mac_operation_t *operation, psa_key_id_t key,
                                psa_algorithm_t alg)
{
    return mac_setup(CRYPTO_SFN_MAC_SIGN_SETUP, operation, key, alg);
}

psa_status_t psa_mac_verify_setup(psa_mac_operation_t *operation, psa_key_id_t key,
                                  psa_algorithm_t alg)
{
    return mac_setup(CRYPTO_SFN_MAC_VERIFY_SETUP, operation, key, alg);
}

psa_status_t psa_mac_update(psa_mac_operation_t *operation, const uint8_t *input,
                            size_t input_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[2];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_MAC_UPDATE);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vin(&in_vec[1], input, input_length);
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 2u, out_vec, 1u);
}

psa_status_t psa_mac_sign_finish(psa_mac_operation_t *operation, uint8_t *mac, size_t mac_size,
                                 size_t *mac_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[2];

    pack_init(&iov, CRYPTO_SFN_MAC_SIGN_FINISH);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    vout(&out_vec[1], mac, mac_size);
    int called;
    psa_status_t status = crypto_transact_ex(in_vec, 1u, out_vec, 2u, &called);
    if (called) {
        *mac_length = out_vec[1].len;    /* whatever the status */
    }
    return status;
}

psa_status_t psa_mac_verify_finish(psa_mac_operation_t *operation, const uint8_t *mac,
                                   size_t mac_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[2];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_MAC_VERIFY_FINISH);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vin(&in_vec[1], mac, mac_length);
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 2u, out_vec, 1u);
}

psa_status_t psa_mac_abort(psa_mac_operation_t *operation)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    pack_init(&iov, CRYPTO_SFN_MAC_ABORT);
    iov.op_handle = operation->handle;
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], &operation->handle, sizeof(operation->handle));
    return crypto_transact(in_vec, 1u, out_vec, 1u);
}

/* ---------------------------------------------------------------- cipher (one-shot) */

psa_status_t psa_cipher_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length)
{
    (void)key;
    (void)alg;
    (void)input;
    (void)input_length;
    (void)output;
    (void)output_size;
    (void)output_length;
    return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_cipher_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length)
{
    (void)key;
    (void)alg;
    (void)input;
    (void)input_length;
    (void)output;
    (void)output_size;
    (void)output_length;
    return PSA_ERROR_NOT_SUPPORTED;
}

/* ---------------------------------------------------------------- random */

psa_status_t psa_generate_random(uint8_t *output, size_t output_size)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    if (output_size == 0u) {
        return PSA_SUCCESS;
    }
    pack_init(&iov, CRYPTO_SFN_GENERATE_RANDOM);
    vin(&in_vec[0], &iov, sizeof(iov));
    vout(&out_vec[0], output, output_size);
    return crypto_transact(in_vec, 1u, out_vec, 1u);
}
