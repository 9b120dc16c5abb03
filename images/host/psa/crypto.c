/* psa/crypto.c - PSA Crypto client for TF-M v1.3: one service (SID 0x80), connect ->
 * PSA_IPC_CALL -> close per API call, in_vec[0] = struct tfm_crypto_pack_iovec. A failed
 * connect gives PSA_ERROR_GENERIC_ERROR. */
#include "psa/client.h"
#include "psa/crypto.h"
#include "psa_host_sids.h"
#include "crypto_pack.h"
#include "request.h"

/* A request pack with every field zero except those given. Written field by field so that
 * no memset/memcpy call is generated. */
static void pack_init(struct tfm_crypto_pack_iovec *iov, uint32_t sfn_id, psa_key_id_t key_id,
                      psa_algorithm_t alg, uint32_t op_handle)
{
    iov->sfn_id = sfn_id;
    iov->step = 0u;
    iov->key_id = key_id;
    iov->alg = alg;
    iov->op_handle = op_handle;
    iov->capacity = 0u;
    for (unsigned i = 0; i < CRYPTO_MAX_NONCE_LENGTH; i++) {
        iov->aead_in.nonce[i] = 0u;
    }
    iov->aead_in.nonce_length = 0u;
}

/* One crypto request (psa_request): in_vec = {the pack, in[0..in_len-1]} (in_len <= 2),
 * out_vec = out[0..out_len-1]. If length is not NULL and the call was made, *length = the
 * bytes written to the last output, whatever the status. */
static psa_status_t crypto_request(const struct tfm_crypto_pack_iovec *iov,
                                   const psa_invec *in, size_t in_len,
                                   psa_outvec *out, size_t out_len, size_t *length)
{
    psa_invec in_vec[3];
    psa_handle_t h;

    in_vec[0] = psa_in(iov, sizeof(*iov));
    for (size_t i = 0; i < in_len; i++) {
        in_vec[1u + i] = in[i];
    }
    psa_status_t status = psa_request(SID_CRYPTO, PSA_IPC_CALL, in_vec, 1u + in_len, out, out_len,
                                      &h);
    if (length != NULL && PSA_HANDLE_IS_VALID(h)) {
        *length = out[out_len - 1u].len;
    }
    return status;
}

/* A step of a multipart operation (pack: sfn_id, op_handle = *handle): out_vec[0] is *handle
 * itself, which the service updates (0 once the operation is over). in (if not NULL) is
 * in_vec[1]; output (if not NULL) is out_vec[1], its written length goes to *output_length. */
static psa_status_t op_request(uint32_t sfn_id, uint32_t *handle, psa_key_id_t key,
                               psa_algorithm_t alg, const psa_invec *in, const psa_outvec *output,
                               size_t *output_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[2] = { psa_out(handle, sizeof(*handle)) };

    pack_init(&iov, sfn_id, key, alg, *handle);
    if (output != NULL) {
        out[1] = *output;
    }
    return crypto_request(&iov, in, in != NULL ? 1u : 0u, out, output != NULL ? 2u : 1u,
                          output_length);
}

/* An operation step with one input (update, verify). */
static psa_status_t op_input(uint32_t sfn_id, uint32_t *handle, const uint8_t *input,
                             size_t input_length)
{
    const psa_invec in = psa_in(input, input_length);

    return op_request(sfn_id, handle, 0u, 0u, &in, NULL, NULL);
}

/* An operation step with one output (finish). */
static psa_status_t op_output(uint32_t sfn_id, uint32_t *handle, uint8_t *output,
                              size_t output_size, size_t *output_length)
{
    const psa_outvec out = psa_out(output, output_size);

    return op_request(sfn_id, handle, 0u, 0u, NULL, &out, output_length);
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
    const psa_invec in[2] = { psa_in(attributes, sizeof(*attributes)), psa_in(data, data_length) };
    psa_outvec out[1] = { psa_out(key, sizeof(*key)) };

    pack_init(&iov, CRYPTO_SFN_IMPORT_KEY, 0u, 0u, 0u);
    return crypto_request(&iov, in, 2u, out, 1u, NULL);
}

psa_status_t psa_export_key(psa_key_id_t key, uint8_t *data, size_t data_size,
                            size_t *data_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(data, data_size) };

    pack_init(&iov, CRYPTO_SFN_EXPORT_KEY, key, 0u, 0u);
    return crypto_request(&iov, NULL, 0u, out, 1u, data_length);
}

psa_status_t psa_destroy_key(psa_key_id_t key)
{
    struct tfm_crypto_pack_iovec iov;

    pack_init(&iov, CRYPTO_SFN_DESTROY_KEY, key, 0u, 0u);
    return crypto_request(&iov, NULL, 0u, NULL, 0u, NULL);
}

psa_status_t psa_get_key_attributes(psa_key_id_t key, psa_key_attributes_t *attributes)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(attributes, sizeof(*attributes)) };

    pack_init(&iov, CRYPTO_SFN_GET_KEY_ATTRIBUTES, key, 0u, 0u);
    return crypto_request(&iov, NULL, 0u, out, 1u, NULL);
}

/* ---------------------------------------------------------------- hash */

psa_status_t psa_hash_compute(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
                              uint8_t *hash, size_t hash_size, size_t *hash_length)
{
    struct tfm_crypto_pack_iovec iov;
    const psa_invec in[1] = { psa_in(input, input_length) };
    psa_outvec out[1] = { psa_out(hash, hash_size) };

    pack_init(&iov, CRYPTO_SFN_HASH_COMPUTE, 0u, alg, 0u);
    return crypto_request(&iov, in, 1u, out, 1u, hash_length);
}

psa_status_t psa_hash_compare(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
                              const uint8_t *hash, size_t hash_length)
{
    struct tfm_crypto_pack_iovec iov;
    const psa_invec in[2] = { psa_in(input, input_length), psa_in(hash, hash_length) };

    pack_init(&iov, CRYPTO_SFN_HASH_COMPARE, 0u, alg, 0u);
    return crypto_request(&iov, in, 2u, NULL, 0u, NULL);
}

psa_status_t psa_hash_setup(psa_hash_operation_t *operation, psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_HASH_SETUP, &operation->handle, 0u, alg, NULL, NULL, NULL);
}

psa_status_t psa_hash_update(psa_hash_operation_t *operation, const uint8_t *input,
                             size_t input_length)
{
    return op_input(CRYPTO_SFN_HASH_UPDATE, &operation->handle, input, input_length);
}

psa_status_t psa_hash_finish(psa_hash_operation_t *operation, uint8_t *hash, size_t hash_size,
                             size_t *hash_length)
{
    return op_output(CRYPTO_SFN_HASH_FINISH, &operation->handle, hash, hash_size, hash_length);
}

psa_status_t psa_hash_verify(psa_hash_operation_t *operation, const uint8_t *hash,
                             size_t hash_length)
{
    return op_input(CRYPTO_SFN_HASH_VERIFY, &operation->handle, hash, hash_length);
}

psa_status_t psa_hash_abort(psa_hash_operation_t *operation)
{
    return op_request(CRYPTO_SFN_HASH_ABORT, &operation->handle, 0u, 0u, NULL, NULL, NULL);
}

psa_status_t psa_hash_clone(const psa_hash_operation_t *source_operation,
                            psa_hash_operation_t *target_operation)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(&target_operation->handle, sizeof(target_operation->handle)) };

    if (target_operation->handle != 0u) {
        return PSA_ERROR_BAD_STATE;
    }
    pack_init(&iov, CRYPTO_SFN_HASH_CLONE, 0u, 0u, source_operation->handle);
    return crypto_request(&iov, NULL, 0u, out, 1u, NULL);
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

psa_status_t psa_mac_sign_setup(psa_mac_operation_t *operation, psa_key_id_t key,
                                psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_MAC_SIGN_SETUP, &operation->handle, key, alg, NULL, NULL, NULL);
}

psa_status_t psa_mac_verify_setup(psa_mac_operation_t *operation, psa_key_id_t key,
                                  psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_MAC_VERIFY_SETUP, &operation->handle, key, alg, NULL, NULL,
                      NULL);
}

psa_status_t psa_mac_update(psa_mac_operation_t *operation, const uint8_t *input,
                            size_t input_length)
{
    return op_input(CRYPTO_SFN_MAC_UPDATE, &operation->handle, input, input_length);
}

psa_status_t psa_mac_sign_finish(psa_mac_operation_t *operation, uint8_t *mac, size_t mac_size,
                                 size_t *mac_length)
{
    return op_output(CRYPTO_SFN_MAC_SIGN_FINISH, &operation->handle, mac, mac_size, mac_length);
}

psa_status_t psa_mac_verify_finish(psa_mac_operation_t *operation, const uint8_t *mac,
                                   size_t mac_length)
{
    return op_input(CRYPTO_SFN_MAC_VERIFY_FINISH, &operation->handle, mac, mac_length);
}

psa_status_t psa_mac_abort(psa_mac_operation_t *operation)
{
    return op_request(CRYPTO_SFN_MAC_ABORT, &operation->handle, 0u, 0u, NULL, NULL, NULL);
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
    psa_outvec out[1] = { psa_out(output, output_size) };

    if (output_size == 0u) {
        return PSA_SUCCESS;
    }
    pack_init(&iov, CRYPTO_SFN_GENERATE_RANDOM, 0u, 0u, 0u);
    return crypto_request(&iov, NULL, 0u, out, 1u, NULL);
}
