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
#if CRYPTO_PACK_AEAD_LENGTHS
    iov->ad_length = 0u;                /* set by psa_aead_set_lengths only */
    iov->plaintext_length = 0u;
#endif
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

#if PSAEMU_TFM_RELEASE >= 14
/* v1.4+ one-shot requests (key_id and alg in the pack, in = in[0..in_len-1], at most one
 * output). *output_length is set only on PSA_SUCCESS in v1.4 and v1.5, from v1.6 whenever the
 * call was made (docs/profiles.md "One-shot functions"). */
static psa_status_t oneshot_request(uint32_t sfn_id, psa_key_id_t key, psa_algorithm_t alg,
                                    const psa_invec *in, size_t in_len, uint8_t *output,
                                    size_t output_size, size_t *output_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(output, output_size) };
    size_t written = output_length != NULL ? *output_length : 0u;
    psa_status_t status;

    pack_init(&iov, sfn_id, key, alg, 0u);
    status = crypto_request(&iov, in, in_len, out, output != NULL ? 1u : 0u,
                            output != NULL ? &written : NULL);
    if (output_length != NULL && (PSAEMU_TFM_RELEASE >= 16 || status == PSA_SUCCESS)) {
        *output_length = written;
    }
    return status;
}

/* One input, one output (MAC compute, cipher encrypt/decrypt, sign message). */
static psa_status_t oneshot_in_out(uint32_t sfn_id, psa_key_id_t key, psa_algorithm_t alg,
                                   const uint8_t *input, size_t input_length, uint8_t *output,
                                   size_t output_size, size_t *output_length)
{
    const psa_invec in[1] = { psa_in(input, input_length) };

    return oneshot_request(sfn_id, key, alg, in, 1u, output, output_size, output_length);
}

/* Two inputs, no output (MAC verify, verify message). */
static psa_status_t oneshot_check(uint32_t sfn_id, psa_key_id_t key, psa_algorithm_t alg,
                                  const uint8_t *input, size_t input_length,
                                  const uint8_t *check, size_t check_length)
{
    const psa_invec in[2] = { psa_in(input, input_length), psa_in(check, check_length) };

    return oneshot_request(sfn_id, key, alg, in, 2u, NULL, 0u, NULL);
}

psa_status_t psa_mac_compute(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                             size_t input_length, uint8_t *mac, size_t mac_size,
                             size_t *mac_length)
{
    return oneshot_in_out(CRYPTO_SFN_MAC_COMPUTE, key, alg, input, input_length, mac, mac_size,
                          mac_length);
}

psa_status_t psa_mac_verify(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                            size_t input_length, const uint8_t *mac, size_t mac_length)
{
    return oneshot_check(CRYPTO_SFN_MAC_VERIFY, key, alg, input, input_length, mac, mac_length);
}

psa_status_t psa_sign_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                              size_t input_length, uint8_t *signature, size_t signature_size,
                              size_t *signature_length)
{
    return oneshot_in_out(CRYPTO_SFN_SIGN_MESSAGE, key, alg, input, input_length, signature,
                          signature_size, signature_length);
}

psa_status_t psa_verify_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, const uint8_t *signature,
                                size_t signature_length)
{
    return oneshot_check(CRYPTO_SFN_VERIFY_MESSAGE, key, alg, input, input_length, signature,
                         signature_length);
}
#else
/* TF-M v1.3's client has no one-shot MAC: PSA_ERROR_NOT_SUPPORTED without a call. */
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
#endif

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

#if PSAEMU_TFM_RELEASE >= 14
psa_status_t psa_cipher_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length)
{
    return oneshot_in_out(CRYPTO_SFN_CIPHER_ENCRYPT, key, alg, input, input_length, output,
                          output_size, output_length);
}

psa_status_t psa_cipher_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                size_t input_length, uint8_t *output, size_t output_size,
                                size_t *output_length)
{
    return oneshot_in_out(CRYPTO_SFN_CIPHER_DECRYPT, key, alg, input, input_length, output,
                          output_size, output_length);
}
#else
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

#endif

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

/* ================================================================ the rest of the v1.3 API
 * Layouts: docs/crypto-wire.md (TF-M v1.3 interface/src/tfm_crypto_ipc_api.c). */

/* A request whose only output is a key id: in = {attributes (if not NULL), data (if not
 * NULL)}, out[0] = *key. */
static psa_status_t key_out_request(uint32_t sfn_id, psa_key_id_t key_id,
                                    const psa_key_attributes_t *attributes, const void *data,
                                    size_t data_length, psa_key_id_t *key)
{
    struct tfm_crypto_pack_iovec iov;
    psa_invec in[2];
    size_t n = 0u;
    psa_outvec out[1] = { psa_out(key, sizeof(*key)) };

    if (attributes != NULL) {
        in[n++] = psa_in(attributes, sizeof(*attributes));
    }
    if (data != NULL) {
        in[n++] = psa_in(data, data_length);
    }
    pack_init(&iov, sfn_id, key_id, 0u, 0u);
    return crypto_request(&iov, in, n, out, 1u, NULL);
}

/* A request on one key with no input and no output (close, purge). */
static psa_status_t key_only_request(uint32_t sfn_id, psa_key_id_t key)
{
    struct tfm_crypto_pack_iovec iov;

    pack_init(&iov, sfn_id, key, 0u, 0u);
    return crypto_request(&iov, NULL, 0u, NULL, 0u, NULL);
}

void psa_reset_key_attributes(psa_key_attributes_t *attributes)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(attributes, sizeof(*attributes)) };

    pack_init(&iov, CRYPTO_SFN_RESET_KEY_ATTRIBUTES, 0u, 0u, 0u);
    (void)crypto_request(&iov, NULL, 0u, out, 1u, NULL);
}

psa_status_t psa_open_key(psa_key_id_t id, psa_key_id_t *key)
{
    return key_out_request(CRYPTO_SFN_OPEN_KEY, 0u, NULL, &id, sizeof(id), key);
}

psa_status_t psa_close_key(psa_key_id_t key)
{
    return key_only_request(CRYPTO_SFN_CLOSE_KEY, key);
}

psa_status_t psa_purge_key(psa_key_id_t key)
{
    return key_only_request(CRYPTO_SFN_PURGE_KEY, key);
}

psa_status_t psa_export_public_key(psa_key_id_t key, uint8_t *data, size_t data_size,
                                   size_t *data_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(data, data_size) };

    pack_init(&iov, CRYPTO_SFN_EXPORT_PUBLIC_KEY, key, 0u, 0u);
    return crypto_request(&iov, NULL, 0u, out, 1u, data_length);
}

psa_status_t psa_copy_key(psa_key_id_t source_key, const psa_key_attributes_t *attributes,
                          psa_key_id_t *target_key)
{
    return key_out_request(CRYPTO_SFN_COPY_KEY, source_key, attributes, NULL, 0u, target_key);
}

psa_status_t psa_generate_key(const psa_key_attributes_t *attributes, psa_key_id_t *key)
{
    return key_out_request(CRYPTO_SFN_GENERATE_KEY, 0u, attributes, NULL, 0u, key);
}

/* ---------------------------------------------------------------- multipart cipher */

psa_status_t psa_cipher_encrypt_setup(psa_cipher_operation_t *operation, psa_key_id_t key,
                                      psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_CIPHER_ENCRYPT_SETUP, &operation->handle, key, alg, NULL, NULL,
                      NULL);
}

psa_status_t psa_cipher_decrypt_setup(psa_cipher_operation_t *operation, psa_key_id_t key,
                                      psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_CIPHER_DECRYPT_SETUP, &operation->handle, key, alg, NULL, NULL,
                      NULL);
}

psa_status_t psa_cipher_generate_iv(psa_cipher_operation_t *operation, uint8_t *iv,
                                    size_t iv_size, size_t *iv_length)
{
    return op_output(CRYPTO_SFN_CIPHER_GENERATE_IV, &operation->handle, iv, iv_size, iv_length);
}

psa_status_t psa_cipher_set_iv(psa_cipher_operation_t *operation, const uint8_t *iv,
                               size_t iv_length)
{
    return op_input(CRYPTO_SFN_CIPHER_SET_IV, &operation->handle, iv, iv_length);
}

psa_status_t psa_cipher_update(psa_cipher_operation_t *operation, const uint8_t *input,
                               size_t input_length, uint8_t *output, size_t output_size,
                               size_t *output_length)
{
    const psa_invec in = psa_in(input, input_length);
    const psa_outvec out = psa_out(output, output_size);

    return op_request(CRYPTO_SFN_CIPHER_UPDATE, &operation->handle, 0u, 0u, &in, &out,
                      output_length);
}

psa_status_t psa_cipher_finish(psa_cipher_operation_t *operation, uint8_t *output,
                               size_t output_size, size_t *output_length)
{
    return op_output(CRYPTO_SFN_CIPHER_FINISH, &operation->handle, output, output_size,
                     output_length);
}

psa_status_t psa_cipher_abort(psa_cipher_operation_t *operation)
{
    return op_request(CRYPTO_SFN_CIPHER_ABORT, &operation->handle, 0u, 0u, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- AEAD */

/* One-shot AEAD (v1.3): the nonce travels in the pack; in_len drops to 2 when the additional
 * data pointer is NULL. */
static psa_status_t aead_request(uint32_t sfn_id, psa_key_id_t key, psa_algorithm_t alg,
                                 const uint8_t *nonce, size_t nonce_length, const uint8_t *ad,
                                 size_t ad_length, const uint8_t *input, size_t input_length,
                                 uint8_t *output, size_t output_size, size_t *output_length)
{
    struct tfm_crypto_pack_iovec iov;
    const psa_invec in[2] = { psa_in(input, input_length), psa_in(ad, ad_length) };
    psa_outvec out[1] = { psa_out(output, output_size) };

    if ((ad == NULL && ad_length != 0u) || nonce_length > CRYPTO_MAX_NONCE_LENGTH) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    pack_init(&iov, sfn_id, key, alg, 0u);
    for (size_t i = 0; nonce != NULL && i < nonce_length; i++) {
        iov.aead_in.nonce[i] = nonce[i];
    }
    iov.aead_in.nonce_length = (uint32_t)nonce_length;
    return crypto_request(&iov, in, ad != NULL ? 2u : 1u, out, 1u, output_length);
}

psa_status_t psa_aead_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
                              size_t nonce_length, const uint8_t *additional_data,
                              size_t additional_data_length, const uint8_t *plaintext,
                              size_t plaintext_length, uint8_t *ciphertext,
                              size_t ciphertext_size, size_t *ciphertext_length)
{
    return aead_request(CRYPTO_SFN_AEAD_ENCRYPT, key, alg, nonce, nonce_length, additional_data,
                        additional_data_length, plaintext, plaintext_length, ciphertext,
                        ciphertext_size, ciphertext_length);
}

psa_status_t psa_aead_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
                              size_t nonce_length, const uint8_t *additional_data,
                              size_t additional_data_length, const uint8_t *ciphertext,
                              size_t ciphertext_length, uint8_t *plaintext,
                              size_t plaintext_size, size_t *plaintext_length)
{
    return aead_request(CRYPTO_SFN_AEAD_DECRYPT, key, alg, nonce, nonce_length, additional_data,
                        additional_data_length, ciphertext, ciphertext_length, plaintext,
                        plaintext_size, plaintext_length);
}

#if PSAEMU_TFM_RELEASE >= 16
/* Multipart AEAD, as the v1.6 client sends it (docs/profiles.md "Multipart AEAD"). */
psa_status_t psa_aead_encrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key,
                                    psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_AEAD_ENCRYPT_SETUP, &operation->handle, key, alg, NULL, NULL,
                      NULL);
}

psa_status_t psa_aead_decrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key,
                                    psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_AEAD_DECRYPT_SETUP, &operation->handle, key, alg, NULL, NULL,
                      NULL);
}

psa_status_t psa_aead_generate_nonce(psa_aead_operation_t *operation, uint8_t *nonce,
                                     size_t nonce_size, size_t *nonce_length)
{
    return op_output(CRYPTO_SFN_AEAD_GENERATE_NONCE, &operation->handle, nonce, nonce_size,
                     nonce_length);
}

psa_status_t psa_aead_set_nonce(psa_aead_operation_t *operation, const uint8_t *nonce,
                                size_t nonce_length)
{
    return op_input(CRYPTO_SFN_AEAD_SET_NONCE, &operation->handle, nonce, nonce_length);
}

/* The lengths travel in the pack (v1.6 ad_length / plaintext_length). */
psa_status_t psa_aead_set_lengths(psa_aead_operation_t *operation, size_t ad_length,
                                  size_t plaintext_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(&operation->handle, sizeof(operation->handle)) };

    pack_init(&iov, CRYPTO_SFN_AEAD_SET_LENGTHS, 0u, 0u, operation->handle);
    iov.ad_length = ad_length;
    iov.plaintext_length = plaintext_length;
    return crypto_request(&iov, NULL, 0u, out, 1u, NULL);
}

/* in_vec[1] is left out when input is NULL (v1.6 client). */
psa_status_t psa_aead_update_ad(psa_aead_operation_t *operation, const uint8_t *input,
                                size_t input_length)
{
    const psa_invec in = psa_in(input, input_length);

    if (input == NULL && input_length != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    return op_request(CRYPTO_SFN_AEAD_UPDATE_AD, &operation->handle, 0u, 0u,
                      input != NULL ? &in : NULL, NULL, NULL);
}

psa_status_t psa_aead_update(psa_aead_operation_t *operation, const uint8_t *input,
                             size_t input_length, uint8_t *output, size_t output_size,
                             size_t *output_length)
{
    const psa_invec in = psa_in(input, input_length);
    const psa_outvec out = psa_out(output, output_size);

    if (input == NULL && input_length != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    return op_request(CRYPTO_SFN_AEAD_UPDATE, &operation->handle, 0u, 0u,
                      input != NULL ? &in : NULL, &out, output_length);
}

/* out_vec = {handle, tag, ciphertext}; the ciphertext vector is left out when there is no
 * buffer for it (then *ciphertext_length = 0). */
psa_status_t psa_aead_finish(psa_aead_operation_t *operation, uint8_t *ciphertext,
                             size_t ciphertext_size, size_t *ciphertext_length, uint8_t *tag,
                             size_t tag_size, size_t *tag_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[3] = { psa_out(&operation->handle, sizeof(operation->handle)),
                          psa_out(tag, tag_size), psa_out(ciphertext, ciphertext_size) };
    size_t out_len = (ciphertext == NULL || ciphertext_size == 0u) ? 2u : 3u;
    psa_status_t status;

    if ((ciphertext == NULL && ciphertext_size != 0u) ||
        (out_len == 3u && ciphertext_length == NULL)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    pack_init(&iov, CRYPTO_SFN_AEAD_FINISH, 0u, 0u, operation->handle);
    status = crypto_request(&iov, NULL, 0u, out, out_len, NULL);
    *tag_length = out[1].len;
    if (ciphertext_length != NULL) {
        *ciphertext_length = out_len == 3u ? out[2].len : 0u;
    }
    return status;
}

psa_status_t psa_aead_verify(psa_aead_operation_t *operation, uint8_t *plaintext,
                             size_t plaintext_size, size_t *plaintext_length, const uint8_t *tag,
                             size_t tag_length)
{
    const psa_invec in = psa_in(tag, tag_length);
    const psa_outvec out = psa_out(plaintext, plaintext_size);
    size_t written = 0u;
    bool has_out = plaintext != NULL && plaintext_size != 0u;
    psa_status_t status;

    if ((plaintext == NULL && plaintext_size != 0u) || (has_out && plaintext_length == NULL)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    status = op_request(CRYPTO_SFN_AEAD_VERIFY, &operation->handle, 0u, 0u, &in,
                        has_out ? &out : NULL, has_out ? &written : NULL);
    if (plaintext_length != NULL) {
        *plaintext_length = written;
    }
    return status;
}

psa_status_t psa_aead_abort(psa_aead_operation_t *operation)
{
    return op_request(CRYPTO_SFN_AEAD_ABORT, &operation->handle, 0u, 0u, NULL, NULL, NULL);
}
#else
/* TF-M v1.3..v1.5 clients: NOT_SUPPORTED without a call. */
psa_status_t psa_aead_encrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key,
                                    psa_algorithm_t alg)
{
    (void)operation;
    (void)key;
    (void)alg;
    return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_aead_decrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key,
                                    psa_algorithm_t alg)
{
    (void)operation;
    (void)key;
    (void)alg;
    return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_aead_abort(psa_aead_operation_t *operation)
{
    (void)operation;
    return PSA_ERROR_NOT_SUPPORTED;
}
#endif

/* ---------------------------------------------------------------- asymmetric */

/* key_id + alg in the pack, in = in[0..in_len-1], one output whose length goes to *length. */
static psa_status_t key_alg_request(uint32_t sfn_id, psa_key_id_t key, psa_algorithm_t alg,
                                    const psa_invec *in, size_t in_len, uint8_t *output,
                                    size_t output_size, size_t *output_length)
{
    struct tfm_crypto_pack_iovec iov;
    psa_outvec out[1] = { psa_out(output, output_size) };

    pack_init(&iov, sfn_id, key, alg, 0u);
    return crypto_request(&iov, in, in_len, out, output != NULL ? 1u : 0u, output_length);
}

psa_status_t psa_sign_hash(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *hash,
                           size_t hash_length, uint8_t *signature, size_t signature_size,
                           size_t *signature_length)
{
    const psa_invec in[1] = { psa_in(hash, hash_length) };

    return key_alg_request(CRYPTO_SFN_SIGN_HASH, key, alg, in, 1u, signature, signature_size,
                           signature_length);
}

psa_status_t psa_verify_hash(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *hash,
                             size_t hash_length, const uint8_t *signature,
                             size_t signature_length)
{
    const psa_invec in[2] = { psa_in(hash, hash_length), psa_in(signature, signature_length) };

    return key_alg_request(CRYPTO_SFN_VERIFY_HASH, key, alg, in, 2u, NULL, 0u, NULL);
}

/* in_len drops to 1 (input only) when salt is NULL, as the v1.3 client. */
static psa_status_t asymmetric_request(uint32_t sfn_id, psa_key_id_t key, psa_algorithm_t alg,
                                       const uint8_t *input, size_t input_length,
                                       const uint8_t *salt, size_t salt_length, uint8_t *output,
                                       size_t output_size, size_t *output_length)
{
    const psa_invec in[2] = { psa_in(input, input_length), psa_in(salt, salt_length) };

    if (salt == NULL && salt_length != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    return key_alg_request(sfn_id, key, alg, in, salt != NULL ? 2u : 1u, output, output_size,
                           output_length);
}

psa_status_t psa_asymmetric_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                    size_t input_length, const uint8_t *salt,
                                    size_t salt_length, uint8_t *output, size_t output_size,
                                    size_t *output_length)
{
    return asymmetric_request(CRYPTO_SFN_ASYMMETRIC_ENCRYPT, key, alg, input, input_length, salt,
                              salt_length, output, output_size, output_length);
}

psa_status_t psa_asymmetric_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
                                    size_t input_length, const uint8_t *salt,
                                    size_t salt_length, uint8_t *output, size_t output_size,
                                    size_t *output_length)
{
    return asymmetric_request(CRYPTO_SFN_ASYMMETRIC_DECRYPT, key, alg, input, input_length, salt,
                              salt_length, output, output_size, output_length);
}

psa_status_t psa_raw_key_agreement(psa_algorithm_t alg, psa_key_id_t private_key,
                                   const uint8_t *peer_key, size_t peer_key_length,
                                   uint8_t *output, size_t output_size, size_t *output_length)
{
    const psa_invec in[1] = { psa_in(peer_key, peer_key_length) };

    return key_alg_request(CRYPTO_SFN_RAW_KEY_AGREEMENT, private_key, alg, in, 1u, output,
                           output_size, output_length);
}

/* ---------------------------------------------------------------- key derivation */

/* A step that passes the handle in the pack only (no handle output in v1.3). */
static psa_status_t kdf_request(uint32_t sfn_id, uint32_t handle, psa_key_derivation_step_t step,
                                psa_key_id_t key, size_t capacity, const psa_invec *in,
                                psa_outvec *out)
{
    struct tfm_crypto_pack_iovec iov;

    pack_init(&iov, sfn_id, key, 0u, handle);
    iov.step = step;
    iov.capacity = capacity;
    return crypto_request(&iov, in, in != NULL ? 1u : 0u, out, out != NULL ? 1u : 0u, NULL);
}

psa_status_t psa_key_derivation_setup(psa_key_derivation_operation_t *operation,
                                      psa_algorithm_t alg)
{
    return op_request(CRYPTO_SFN_KEY_DERIVATION_SETUP, &operation->handle, 0u, alg, NULL, NULL,
                      NULL);
}

psa_status_t psa_key_derivation_get_capacity(const psa_key_derivation_operation_t *operation,
                                             size_t *capacity)
{
    psa_outvec out = psa_out(capacity, sizeof(*capacity));

    return kdf_request(CRYPTO_SFN_KEY_DERIVATION_GET_CAPACITY, operation->handle, 0u, 0u, 0u,
                       NULL, &out);
}

psa_status_t psa_key_derivation_set_capacity(psa_key_derivation_operation_t *operation,
                                             size_t capacity)
{
    return kdf_request(CRYPTO_SFN_KEY_DERIVATION_SET_CAPACITY, operation->handle, 0u, 0u,
                       capacity, NULL, NULL);
}

psa_status_t psa_key_derivation_input_bytes(psa_key_derivation_operation_t *operation,
                                            psa_key_derivation_step_t step, const uint8_t *data,
                                            size_t data_length)
{
    const psa_invec in = psa_in(data, data_length);

    return kdf_request(CRYPTO_SFN_KEY_DERIVATION_INPUT_BYTES, operation->handle, step, 0u, 0u,
                       &in, NULL);
}

psa_status_t psa_key_derivation_input_key(psa_key_derivation_operation_t *operation,
                                          psa_key_derivation_step_t step, psa_key_id_t key)
{
    return kdf_request(CRYPTO_SFN_KEY_DERIVATION_INPUT_KEY, operation->handle, step, key, 0u,
                       NULL, NULL);
}

psa_status_t psa_key_derivation_key_agreement(psa_key_derivation_operation_t *operation,
                                              psa_key_derivation_step_t step,
                                              psa_key_id_t private_key, const uint8_t *peer_key,
                                              size_t peer_key_length)
{
    const psa_invec in = psa_in(peer_key, peer_key_length);

    return kdf_request(CRYPTO_SFN_KEY_DERIVATION_KEY_AGREEMENT, operation->handle, step,
                       private_key, 0u, &in, NULL);
}

psa_status_t psa_key_derivation_output_bytes(psa_key_derivation_operation_t *operation,
                                             uint8_t *output, size_t output_length)
{
    psa_outvec out = psa_out(output, output_length);

    return kdf_request(CRYPTO_SFN_KEY_DERIVATION_OUTPUT_BYTES, operation->handle, 0u, 0u, 0u,
                       NULL, &out);
}

psa_status_t psa_key_derivation_output_key(const psa_key_attributes_t *attributes,
                                           psa_key_derivation_operation_t *operation,
                                           psa_key_id_t *key)
{
    struct tfm_crypto_pack_iovec iov;
    const psa_invec in[1] = { psa_in(attributes, sizeof(*attributes)) };
    psa_outvec out[1] = { psa_out(key, sizeof(*key)) };

    pack_init(&iov, CRYPTO_SFN_KEY_DERIVATION_OUTPUT_KEY, 0u, 0u, operation->handle);
    return crypto_request(&iov, in, 1u, out, 1u, NULL);
}

psa_status_t psa_key_derivation_abort(psa_key_derivation_operation_t *operation)
{
    return op_request(CRYPTO_SFN_KEY_DERIVATION_ABORT, &operation->handle, 0u, 0u, NULL, NULL,
                      NULL);
}
