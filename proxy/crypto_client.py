"""Typed PSA Crypto helpers of the scripted client: ``m.psa.crypto.<function>``.

The wire follows the machine's release profile (``PsaClient.abi``): under ``tfm-1.3`` connect ->
call -> close on SID 0x80; from ``tfm-1.4`` on one ``psa_call(PSA_IPC_CALL)`` on the stateless
handle 0x40000100 with the release's ``sfn_id`` numbering (v1.3's :class:`CryptoSfn` names are
translated) and its key-attribute layout (20 bytes; :class:`KeyAttributes` stays the one Python
type). The client-side rules below are v1.3's in every profile, as in the Host C client library.

One method per PSA Crypto 1.0 function that TF-M v1.3's client library offers, with the same
wire format (``interface/src/tfm_crypto_ipc_api.c`` of TF-M v1.3.0; layouts in
docs/crypto-wire.md) and the same client-side rules, because the point is to exercise the SE
exactly as a Host application linked against the v1.3 client would:

* ``tfm-1.3``: every call is connect -> ``psa_call(PSA_IPC_CALL)`` -> close on SID 0x80; a failed connect
  gives ``PSA_ERROR_GENERIC_ERROR``;
* ``psa_mac_compute``/``psa_mac_verify``, ``psa_cipher_encrypt``/``psa_cipher_decrypt`` and
  multipart AEAD return ``PSA_ERROR_NOT_SUPPORTED`` in the v1.3 client without calling the SE;
  so do these helpers (nothing is sent). From ``tfm-1.4`` on the release's client sends the
  one-shot MAC and cipher functions and has ``psa_sign_message``/``psa_verify_message`` (sfn
  SIGN_MESSAGE/VERIFY_MESSAGE); so do these helpers (``ReleaseAbi.client_oneshot``; under
  ``tfm-1.3`` message signing is NOT_SUPPORTED without a call). Multipart AEAD
  (``aead_encrypt_setup`` ... ``aead_abort``) is refused without a call before ``tfm-1.6``
  (the v1.4/v1.5 clients too) and sent from ``tfm-1.6`` on, as that release's client does;
* ``psa_generate_random`` of 0 bytes succeeds without a call; ``psa_aead_*`` with a nonce
  longer than 16 bytes gives ``PSA_ERROR_INVALID_ARGUMENT`` without a call; ``psa_hash_clone``
  into an operation whose handle is not 0 gives ``PSA_ERROR_BAD_STATE`` without a call.

Results are typed (bytes, key ids, :class:`KeyAttributes`, operation objects); any status
but ``PSA_SUCCESS`` raises :class:`~psaemu.proxy.client.PsaError` whose ``status`` is the
code. Multipart operations are small objects holding the service's handle, updated the way the
C client's ``operation->handle`` is: the service writes it through out_vec[0], and the proxy
copies outputs back only on success, so after a failed step the handle is what it was.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from psaemu.proxy.client import SID_CRYPTO, CallResult, HostRef, PsaError, _data
from psaemu.proxy.crypto_values import PSA_HASH_MAX_SIZE, PSA_MAC_MAX_SIZE
from psaemu.proxy.services import TFM_CRYPTO_MAX_NONCE_LENGTH, CryptoSfn
from psaemu.proxy.status import PsaStatus
from psaemu.proxy.structs import KeyAttributesV13

if TYPE_CHECKING:
    from psaemu.proxy.client import OutSpec, PsaClient, Vector

__all__ = ["CryptoClient", "KeyAttributes", "Operation", "HashOperation", "MacOperation", "CipherOperation",
           "KeyDerivationOperation", "AeadOperation", "EXPORT_BUFFER_SIZE", "SIGNATURE_BUFFER_SIZE", "ASYMMETRIC_BUFFER_SIZE",
           "RAW_AGREEMENT_BUFFER_SIZE"]

#: v1.3 client ``psa_key_attributes_t`` (24 bytes, docs/crypto-wire.md "Key attributes").
KeyAttributes = KeyAttributesV13

#: Default output buffer sizes (the caller's buffer; the SE writes the actual length): an RSA-4096
#: key pair in DER, an RSA-4096 signature or ciphertext, a P-521 shared secret.
EXPORT_BUFFER_SIZE = 2400
SIGNATURE_BUFFER_SIZE = 512
ASYMMETRIC_BUFFER_SIZE = 512
RAW_AGREEMENT_BUFFER_SIZE = 66
CIPHER_BLOCK = 16
_S = CryptoSfn
_U32 = struct.Struct("<I")


@dataclass
class Operation:
    """A multipart operation as the v1.3 client holds it: the service's handle (0 = none)."""

    handle: int = 0

    @property
    def active(self) -> bool:
        return self.handle != 0


class HashOperation(Operation):
    """``psa_hash_operation_t``."""


class MacOperation(Operation):
    """``psa_mac_operation_t``."""


class CipherOperation(Operation):
    """``psa_cipher_operation_t``."""


class KeyDerivationOperation(Operation):
    """``psa_key_derivation_operation_t``."""


class AeadOperation(Operation):
    """``psa_aead_operation_t`` (multipart AEAD: sent from TF-M v1.6 on)."""


def _u32(value: int) -> bytes:
    return _U32.pack(value & 0xFFFFFFFF)


def _not_supported(what: str) -> PsaError:
    return PsaError(PsaStatus.PSA_ERROR_NOT_SUPPORTED, f"{what} (TF-M v1.3 client: not supported, no call made)")


class CryptoClient:
    """The PSA Crypto API of TF-M v1.3's client over a :class:`~psaemu.proxy.client.PsaClient`."""

    def __init__(self, psa: "PsaClient") -> None:
        self.psa = psa

    def __repr__(self) -> str:
        return f"<CryptoClient of {self.psa!r}>"

    # -- the wire ---------------------------------------------------------------------------
    def call(self, sfn: "int | str", inputs: "list[Vector]" = (), outs: "list[OutSpec]" = (), *, key_id: int = 0,
             alg: int = 0, op_handle: int = 0, step: int = 0, capacity: int = 0, nonce: bytes = b"",
             ad_length: int = 0, plaintext_length: int = 0) -> CallResult:
        """One raw crypto request: in_vec[0] = the release's pack (44 bytes, v1.6 52) with these fields, then ``inputs``;
        ``outs`` = output buffer sizes. ``sfn`` is a v1.3 id (:class:`CryptoSfn`), sent as the
        profile's id for the same function (ids past the v1.3 table as they are), or a function name
        of the release's table (``"SIGN_MESSAGE"``); a function the release does not have gives
        PsaError(NOT_SUPPORTED) without a call. ``ad_length``/``plaintext_length`` exist in the v1.6
        pack only (CryptoPackError when set under an earlier release). The status is not checked."""
        abi = self.psa.abi
        wire_sfn = abi.crypto_sfn(sfn) if isinstance(sfn, str) else abi.crypto_sfn_from_v13(int(sfn))
        if wire_sfn is None:
            raise PsaError(PsaStatus.PSA_ERROR_NOT_SUPPORTED, f"crypto function {sfn!r} ({abi.release} client: "
                                                              f"the release has no such function, no call made)")
        lengths = {k: v for k, v in (("ad_length", ad_length), ("plaintext_length", plaintext_length)) if v}
        pack = abi.crypto_pack.request(wire_sfn, bytes(nonce), step=step & 0xFFFF, key_id=key_id, alg=alg,
                                       op_handle=op_handle, capacity=capacity, **lengths)
        return self.psa._request(SID_CRYPTO, [pack, *inputs], list(outs))

    def _attrs(self, attributes: KeyAttributes) -> bytes:
        """``attributes`` in the profile's client layout (24 bytes v1.3, 20 bytes v1.4+)."""
        layout = self.psa.abi.key_attrs
        return layout.pack({name: getattr(attributes, name) for name in layout.fields})

    def _read_attrs(self, data: bytes) -> KeyAttributes:
        """:class:`KeyAttributes` from bytes in the profile's client layout (short output: zero-padded)."""
        layout = self.psa.abi.key_attrs
        return KeyAttributes(**layout.unpack(data.ljust(layout.size, b"\0")[:layout.size]))

    def _out(self, what: str, sfn: int, inputs: "list[Vector]", outs: "list[OutSpec]", **pack: int) -> list[bytes]:
        return _data(self.call(sfn, inputs, outs, **pack), what)

    def _key_id(self, what: str, sfn: int, inputs: "list[Vector]", **pack: int) -> int:
        out = self._out(what, sfn, inputs, [4], **pack)[0]
        return _U32.unpack(out.ljust(4, b"\0"))[0]

    def _op(self, what: str, sfn: int, op: Operation, inputs: "list[Vector]" = (), output: int | None = None,
            **pack: int) -> bytes:
        """A multipart step whose out_vec[0] is the operation handle; out_vec[1] (if any) is returned."""
        outs: list = [4] if output is None else [4, output]
        r = self.call(sfn, list(inputs), outs, op_handle=op.handle, **pack)
        if r.ok and len(r.outputs[0]) == 4:
            op.handle = _U32.unpack(r.outputs[0])[0]
        _data(r, what)
        return r.outputs[1] if output is not None else b""

    def _no_out(self, what: str, sfn: int, inputs: "list[Vector]" = (), **pack: int) -> None:
        _data(self.call(sfn, list(inputs), [], **pack), what)

    # -- key management ---------------------------------------------------------------------
    def import_key(self, attributes: KeyAttributes, data: bytes) -> int:
        """``psa_import_key``: the new key id."""
        return self._key_id(f"psa_import_key(type {attributes.type:#06x}, {len(data)} bytes)", _S.TFM_CRYPTO_IMPORT_KEY,
                            [self._attrs(attributes), bytes(data)])

    def generate_key(self, attributes: KeyAttributes) -> int:
        """``psa_generate_key``: the new key id."""
        return self._key_id(f"psa_generate_key(type {attributes.type:#06x}, {attributes.bits} bits)",
                            _S.TFM_CRYPTO_GENERATE_KEY, [self._attrs(attributes)])

    def copy_key(self, source_key: int, attributes: KeyAttributes) -> int:
        """``psa_copy_key``: the new key id."""
        return self._key_id(f"psa_copy_key(key {source_key:#x})", _S.TFM_CRYPTO_COPY_KEY, [self._attrs(attributes)],
                            key_id=source_key)

    def open_key(self, key_id: int) -> int:
        """``psa_open_key(id)``: the key handle (v1.3: in_vec[1] = the id)."""
        return self._key_id(f"psa_open_key(id {key_id:#x})", _S.TFM_CRYPTO_OPEN_KEY, [_u32(key_id)])

    def close_key(self, key: int) -> None:
        """``psa_close_key``."""
        self._no_out(f"psa_close_key(key {key:#x})", _S.TFM_CRYPTO_CLOSE_KEY, key_id=key)

    def destroy_key(self, key: int) -> None:
        """``psa_destroy_key``."""
        self._no_out(f"psa_destroy_key(key {key:#x})", _S.TFM_CRYPTO_DESTROY_KEY, key_id=key)

    def purge_key(self, key: int) -> None:
        """``psa_purge_key``."""
        self._no_out(f"psa_purge_key(key {key:#x})", _S.TFM_CRYPTO_PURGE_KEY, key_id=key)

    def export_key(self, key: int, size: int = EXPORT_BUFFER_SIZE) -> bytes:
        """``psa_export_key`` into a ``size``-byte buffer: the key data."""
        return self._out(f"psa_export_key(key {key:#x})", _S.TFM_CRYPTO_EXPORT_KEY, [], [size], key_id=key)[0]

    def export_public_key(self, key: int, size: int = EXPORT_BUFFER_SIZE) -> bytes:
        """``psa_export_public_key``: the public key data."""
        return self._out(f"psa_export_public_key(key {key:#x})", _S.TFM_CRYPTO_EXPORT_PUBLIC_KEY, [], [size],
                         key_id=key)[0]

    def get_key_attributes(self, key: int) -> KeyAttributes:
        """``psa_get_key_attributes``."""
        out = self._out(f"psa_get_key_attributes(key {key:#x})", _S.TFM_CRYPTO_GET_KEY_ATTRIBUTES, [],
                        [self.psa.abi.key_attrs.size], key_id=key)[0]
        return self._read_attrs(out)

    def reset_key_attributes(self, attributes: KeyAttributes) -> KeyAttributes:
        """``psa_reset_key_attributes`` (void in C, forwarded by v1.3): what the caller's struct
        holds afterwards, i.e. the SE's answer on success and ``attributes`` unchanged otherwise."""
        size = self.psa.abi.key_attrs.size
        r = self.call(_S.TFM_CRYPTO_RESET_KEY_ATTRIBUTES, [], [size])
        if r.ok and len(r.outputs[0]) == size:
            return self._read_attrs(r.outputs[0])
        return attributes

    # -- hash -------------------------------------------------------------------------------
    def hash_compute(self, alg: int, data: "bytes | HostRef", hash_size: int = PSA_HASH_MAX_SIZE) -> bytes:
        """``psa_hash_compute``: the digest; ``data`` may be Host memory as it is (:class:`HostRef`)."""
        message = data if isinstance(data, HostRef) else bytes(data)
        return self._out(f"psa_hash_compute(alg {alg:#x}, {len(data)} bytes)", _S.TFM_CRYPTO_HASH_COMPUTE,
                         [message], [hash_size], alg=alg)[0]

    def hash_compare(self, alg: int, data: bytes, expected: bytes) -> None:
        """``psa_hash_compare``: PsaError(INVALID_SIGNATURE) on a mismatch."""
        self._no_out(f"psa_hash_compare(alg {alg:#x})", _S.TFM_CRYPTO_HASH_COMPARE, [bytes(data), bytes(expected)],
                     alg=alg)

    def hash_setup(self, alg: int, op: Optional[HashOperation] = None) -> HashOperation:
        """``psa_hash_setup`` on ``op`` (a new inactive operation by default); the operation."""
        op = op if op is not None else HashOperation()
        self._op(f"psa_hash_setup(alg {alg:#x})", _S.TFM_CRYPTO_HASH_SETUP, op, alg=alg)
        return op

    def hash_update(self, op: HashOperation, data: bytes) -> None:
        self._op(f"psa_hash_update(handle {op.handle})", _S.TFM_CRYPTO_HASH_UPDATE, op, [bytes(data)])

    def hash_finish(self, op: HashOperation, hash_size: int = PSA_HASH_MAX_SIZE) -> bytes:
        return self._op(f"psa_hash_finish(handle {op.handle})", _S.TFM_CRYPTO_HASH_FINISH, op, output=hash_size)

    def hash_verify(self, op: HashOperation, expected: bytes) -> None:
        self._op(f"psa_hash_verify(handle {op.handle})", _S.TFM_CRYPTO_HASH_VERIFY, op, [bytes(expected)])

    def hash_abort(self, op: HashOperation) -> None:
        self._op(f"psa_hash_abort(handle {op.handle})", _S.TFM_CRYPTO_HASH_ABORT, op)

    def hash_clone(self, source: HashOperation, target: Optional[HashOperation] = None) -> HashOperation:
        """``psa_hash_clone`` into ``target`` (new by default); v1.3 client: a target whose handle
        is not 0 gives BAD_STATE without a call."""
        target = target if target is not None else HashOperation()
        if target.handle != 0:
            raise PsaError(PsaStatus.PSA_ERROR_BAD_STATE, f"psa_hash_clone into active handle {target.handle} "
                                                          f"(TF-M v1.3 client check, no call made)")
        out = self._out(f"psa_hash_clone(handle {source.handle})", _S.TFM_CRYPTO_HASH_CLONE, [], [4],
                        op_handle=source.handle)[0]
        target.handle = _U32.unpack(out.ljust(4, b"\0"))[0]
        return target

    # -- MAC --------------------------------------------------------------------------------
    def _oneshot(self, what: str, sfn: "int | str", key: int, alg: int, inputs: "list[Vector]",
                 size: int | None) -> bytes:
        """A v1.4+ one-shot call (key_id, alg; ``inputs`` from in_vec[1]; out_vec[0] of ``size``
        bytes, or no output when None): PsaError(NOT_SUPPORTED) without a call under a release
        whose client refuses it (v1.3)."""
        if not self.psa.abi.client_oneshot:
            raise _not_supported(what)
        outs = [] if size is None else [size]
        out = self._out(what, sfn, [bytes(i) for i in inputs], outs, key_id=key, alg=alg)
        return out[0] if outs else b""

    def mac_compute(self, key: int, alg: int, data: bytes, mac_size: int = PSA_MAC_MAX_SIZE) -> bytes:
        """``psa_mac_compute``: the MAC (v1.4+; the v1.3 client: NOT_SUPPORTED, no call)."""
        return self._oneshot(f"psa_mac_compute(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_MAC_COMPUTE, key, alg,
                             [data], mac_size)

    def mac_verify(self, key: int, alg: int, data: bytes, mac: bytes) -> None:
        """``psa_mac_verify``: PsaError(INVALID_SIGNATURE) on a mismatch (v1.4+; v1.3: NOT_SUPPORTED)."""
        self._oneshot(f"psa_mac_verify(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_MAC_VERIFY, key, alg,
                      [data, mac], None)

    def mac_sign_setup(self, key: int, alg: int, op: Optional[MacOperation] = None) -> MacOperation:
        op = op if op is not None else MacOperation()
        self._op(f"psa_mac_sign_setup(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_MAC_SIGN_SETUP, op, key_id=key,
                 alg=alg)
        return op

    def mac_verify_setup(self, key: int, alg: int, op: Optional[MacOperation] = None) -> MacOperation:
        op = op if op is not None else MacOperation()
        self._op(f"psa_mac_verify_setup(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_MAC_VERIFY_SETUP, op,
                 key_id=key, alg=alg)
        return op

    def mac_update(self, op: MacOperation, data: bytes) -> None:
        self._op(f"psa_mac_update(handle {op.handle})", _S.TFM_CRYPTO_MAC_UPDATE, op, [bytes(data)])

    def mac_sign_finish(self, op: MacOperation, mac_size: int = PSA_MAC_MAX_SIZE) -> bytes:
        return self._op(f"psa_mac_sign_finish(handle {op.handle})", _S.TFM_CRYPTO_MAC_SIGN_FINISH, op,
                        output=mac_size)

    def mac_verify_finish(self, op: MacOperation, mac: bytes) -> None:
        self._op(f"psa_mac_verify_finish(handle {op.handle})", _S.TFM_CRYPTO_MAC_VERIFY_FINISH, op, [bytes(mac)])

    def mac_abort(self, op: MacOperation) -> None:
        self._op(f"psa_mac_abort(handle {op.handle})", _S.TFM_CRYPTO_MAC_ABORT, op)

    def mac(self, key: int, alg: int, data: bytes, mac_size: int = PSA_MAC_MAX_SIZE) -> bytes:
        """A MAC by the multipart API (setup, one update, sign_finish), as v1.3 applications must."""
        op = self.mac_sign_setup(key, alg)
        self.mac_update(op, data)
        return self.mac_sign_finish(op, mac_size)

    # -- unauthenticated ciphers ------------------------------------------------------------
    def cipher_encrypt(self, key: int, alg: int, data: bytes, size: int | None = None) -> bytes:
        """``psa_cipher_encrypt``: IV || ciphertext, the IV generated by the SE (v1.4+; the v1.3
        client: NOT_SUPPORTED, no call). Buffer: input + two blocks by default."""
        return self._oneshot(f"psa_cipher_encrypt(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_CIPHER_ENCRYPT, key,
                             alg, [data], len(data) + 2 * CIPHER_BLOCK if size is None else size)

    def cipher_decrypt(self, key: int, alg: int, data: bytes, size: int | None = None) -> bytes:
        """``psa_cipher_decrypt`` of IV || ciphertext: the plaintext (v1.4+; v1.3: NOT_SUPPORTED)."""
        return self._oneshot(f"psa_cipher_decrypt(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_CIPHER_DECRYPT, key,
                             alg, [data], len(data) if size is None else size)

    def cipher_encrypt_setup(self, key: int, alg: int, op: Optional[CipherOperation] = None) -> CipherOperation:
        op = op if op is not None else CipherOperation()
        self._op(f"psa_cipher_encrypt_setup(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_CIPHER_ENCRYPT_SETUP, op,
                 key_id=key, alg=alg)
        return op

    def cipher_decrypt_setup(self, key: int, alg: int, op: Optional[CipherOperation] = None) -> CipherOperation:
        op = op if op is not None else CipherOperation()
        self._op(f"psa_cipher_decrypt_setup(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_CIPHER_DECRYPT_SETUP, op,
                 key_id=key, alg=alg)
        return op

    def cipher_generate_iv(self, op: CipherOperation, iv_size: int = CIPHER_BLOCK) -> bytes:
        return self._op(f"psa_cipher_generate_iv(handle {op.handle})", _S.TFM_CRYPTO_CIPHER_GENERATE_IV, op,
                        output=iv_size)

    def cipher_set_iv(self, op: CipherOperation, iv: bytes) -> None:
        self._op(f"psa_cipher_set_iv(handle {op.handle})", _S.TFM_CRYPTO_CIPHER_SET_IV, op, [bytes(iv)])

    def cipher_update(self, op: CipherOperation, data: bytes, output_size: int | None = None) -> bytes:
        """``psa_cipher_update``: the output (buffer: input length + one block by default)."""
        size = len(data) + CIPHER_BLOCK if output_size is None else output_size
        return self._op(f"psa_cipher_update(handle {op.handle}, {len(data)} bytes)", _S.TFM_CRYPTO_CIPHER_UPDATE, op,
                        [bytes(data)], output=size)

    def cipher_finish(self, op: CipherOperation, output_size: int = CIPHER_BLOCK) -> bytes:
        return self._op(f"psa_cipher_finish(handle {op.handle})", _S.TFM_CRYPTO_CIPHER_FINISH, op, output=output_size)

    def cipher_abort(self, op: CipherOperation) -> None:
        self._op(f"psa_cipher_abort(handle {op.handle})", _S.TFM_CRYPTO_CIPHER_ABORT, op)

    def cipher(self, key: int, alg: int, data: bytes, iv: bytes | None = None, *, decrypt: bool = False) -> bytes:
        """A whole multipart cipher operation (setup, set_iv if ``iv``, one update, finish)."""
        op = (self.cipher_decrypt_setup if decrypt else self.cipher_encrypt_setup)(key, alg)
        if iv is not None:
            self.cipher_set_iv(op, iv)
        return self.cipher_update(op, data) + self.cipher_finish(op)

    # -- AEAD (one-shot only in v1.3) -------------------------------------------------------
    def aead_encrypt(self, key: int, alg: int, nonce: bytes, plaintext: bytes, additional_data: bytes | None = None,
                     size: int | None = None) -> bytes:
        """``psa_aead_encrypt``: ciphertext || tag. ``additional_data`` None: in_len drops to 2
        (as the v1.3 client with AD NULL); buffer: plaintext + 16 bytes by default."""
        return self._aead("psa_aead_encrypt", _S.TFM_CRYPTO_AEAD_ENCRYPT, key, alg, nonce, plaintext,
                          additional_data, len(plaintext) + 16 if size is None else size)

    def aead_decrypt(self, key: int, alg: int, nonce: bytes, ciphertext: bytes, additional_data: bytes | None = None,
                     size: int | None = None) -> bytes:
        """``psa_aead_decrypt``: the plaintext; PsaError(INVALID_SIGNATURE) when the tag is wrong."""
        return self._aead("psa_aead_decrypt", _S.TFM_CRYPTO_AEAD_DECRYPT, key, alg, nonce, ciphertext,
                          additional_data, len(ciphertext) if size is None else size)

    def _aead(self, what: str, sfn: int, key: int, alg: int, nonce: bytes, data: bytes, ad: bytes | None,
              size: int) -> bytes:
        what = f"{what}(key {key:#x}, alg {alg:#x}, {len(nonce)}-byte nonce, {len(data)} bytes)"
        if len(nonce) > TFM_CRYPTO_MAX_NONCE_LENGTH:
            raise PsaError(PsaStatus.PSA_ERROR_INVALID_ARGUMENT,
                           f"{what} (TF-M v1.3 client: nonce over {TFM_CRYPTO_MAX_NONCE_LENGTH} bytes, no call made)")
        inputs: list = [bytes(data)] + ([] if ad is None else [bytes(ad)])
        return self._out(what, sfn, inputs, [size], key_id=key, alg=alg, nonce=bytes(nonce))[0]

    # -- multipart AEAD (TF-M v1.6 client; v1.3..v1.5 clients: NOT_SUPPORTED, no call) --------
    def _aead_op(self, what: str, sfn: int, op: AeadOperation, inputs: "list[Vector]" = (),
                 output: int | None = None, **pack: int) -> bytes:
        if self.psa.abi.se_release < 16:
            raise PsaError(PsaStatus.PSA_ERROR_NOT_SUPPORTED,
                           f"{what} ({self.psa.abi.release} client: multipart AEAD not supported, no call made)")
        return self._op(what, sfn, op, inputs, output, **pack)

    def aead_encrypt_setup(self, key: int, alg: int, op: Optional[AeadOperation] = None) -> AeadOperation:
        """``psa_aead_encrypt_setup`` (v1.6+; earlier clients: NOT_SUPPORTED without a call, as are
        the other multipart AEAD functions)."""
        op = op if op is not None else AeadOperation()
        self._aead_op(f"psa_aead_encrypt_setup(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_AEAD_ENCRYPT_SETUP, op,
                      key_id=key, alg=alg)
        return op

    def aead_decrypt_setup(self, key: int, alg: int, op: Optional[AeadOperation] = None) -> AeadOperation:
        op = op if op is not None else AeadOperation()
        self._aead_op(f"psa_aead_decrypt_setup(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_AEAD_DECRYPT_SETUP, op,
                      key_id=key, alg=alg)
        return op

    def aead_generate_nonce(self, op: AeadOperation, nonce_size: int = TFM_CRYPTO_MAX_NONCE_LENGTH) -> bytes:
        return self._aead_op(f"psa_aead_generate_nonce(handle {op.handle})", _S.TFM_CRYPTO_AEAD_GENERATE_NONCE, op,
                             output=nonce_size)

    def aead_set_nonce(self, op: AeadOperation, nonce: bytes) -> None:
        self._aead_op(f"psa_aead_set_nonce(handle {op.handle})", _S.TFM_CRYPTO_AEAD_SET_NONCE, op, [bytes(nonce)])

    def aead_set_lengths(self, op: AeadOperation, ad_length: int, plaintext_length: int) -> None:
        """``psa_aead_set_lengths``: the two lengths travel in the v1.6 pack (ad_length, plaintext_length)."""
        self._aead_op(f"psa_aead_set_lengths(handle {op.handle}, {ad_length}, {plaintext_length})",
                      _S.TFM_CRYPTO_AEAD_SET_LENGTHS, op, ad_length=ad_length, plaintext_length=plaintext_length)

    def aead_update_ad(self, op: AeadOperation, data: bytes) -> None:
        self._aead_op(f"psa_aead_update_ad(handle {op.handle}, {len(data)} bytes)", _S.TFM_CRYPTO_AEAD_UPDATE_AD, op,
                      [bytes(data)])

    def aead_update(self, op: AeadOperation, data: bytes, output_size: int | None = None) -> bytes:
        """``psa_aead_update``: the output (buffer: the input length by default, which is
        PSA_AEAD_UPDATE_OUTPUT_SIZE of GCM, CCM and ChaCha20-Poly1305 in psaemu)."""
        return self._aead_op(f"psa_aead_update(handle {op.handle}, {len(data)} bytes)", _S.TFM_CRYPTO_AEAD_UPDATE, op,
                             [bytes(data)], output=len(data) if output_size is None else output_size)

    def aead_finish(self, op: AeadOperation, ciphertext_size: int = CIPHER_BLOCK,
                    tag_size: int = CIPHER_BLOCK) -> tuple[bytes, bytes]:
        """``psa_aead_finish``: (the rest of the ciphertext, the tag). As the v1.6 client, out_vec is
        [handle, tag, ciphertext], the ciphertext vector left out when ``ciphertext_size`` is 0."""
        what = f"psa_aead_finish(handle {op.handle})"
        if self.psa.abi.se_release < 16:
            self._aead_op(what, _S.TFM_CRYPTO_AEAD_FINISH, op)
        r = self.call(_S.TFM_CRYPTO_AEAD_FINISH, [], [4, tag_size] + ([ciphertext_size] if ciphertext_size else []),
                      op_handle=op.handle)
        if r.ok and len(r.outputs[0]) == 4:
            op.handle = _U32.unpack(r.outputs[0])[0]
        _data(r, what)
        return (r.outputs[2] if ciphertext_size else b""), r.outputs[1]

    def aead_verify(self, op: AeadOperation, tag: bytes, plaintext_size: int = CIPHER_BLOCK) -> bytes:
        """``psa_aead_verify``: the rest of the plaintext; PsaError(INVALID_SIGNATURE) for a wrong tag."""
        what = f"psa_aead_verify(handle {op.handle}, {len(tag)}-byte tag)"
        if not plaintext_size:
            self._aead_op(what, _S.TFM_CRYPTO_AEAD_VERIFY, op, [bytes(tag)])
            return b""
        return self._aead_op(what, _S.TFM_CRYPTO_AEAD_VERIFY, op, [bytes(tag)], output=plaintext_size)

    def aead_abort(self, op: AeadOperation) -> None:
        self._aead_op(f"psa_aead_abort(handle {op.handle})", _S.TFM_CRYPTO_AEAD_ABORT, op)

    # -- asymmetric -------------------------------------------------------------------------
    def sign_hash(self, key: int, alg: int, hash_: bytes, size: int = SIGNATURE_BUFFER_SIZE) -> bytes:
        """``psa_sign_hash``: the signature (ECDSA: r || s; RSA: the PKCS#1 signature)."""
        return self._out(f"psa_sign_hash(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_SIGN_HASH, [bytes(hash_)], [size],
                         key_id=key, alg=alg)[0]

    def verify_hash(self, key: int, alg: int, hash_: bytes, signature: bytes) -> None:
        """``psa_verify_hash``: PsaError(INVALID_SIGNATURE) when the signature is wrong."""
        self._no_out(f"psa_verify_hash(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_VERIFY_HASH,
                     [bytes(hash_), bytes(signature)], key_id=key, alg=alg)

    def sign_message(self, key: int, alg: int, message: bytes, size: int = SIGNATURE_BUFFER_SIZE) -> bytes:
        """``psa_sign_message`` (v1.4+, sfn SIGN_MESSAGE): the signature of the message hashed with
        the algorithm's hash; the v1.3 client has no such function (NOT_SUPPORTED, no call)."""
        return self._oneshot(f"psa_sign_message(key {key:#x}, alg {alg:#x})", "SIGN_MESSAGE", key, alg, [message],
                             size)

    def verify_message(self, key: int, alg: int, message: bytes, signature: bytes) -> None:
        """``psa_verify_message`` (v1.4+): PsaError(INVALID_SIGNATURE) when the signature is wrong."""
        self._oneshot(f"psa_verify_message(key {key:#x}, alg {alg:#x})", "VERIFY_MESSAGE", key, alg,
                      [message, signature], None)

    def asymmetric_encrypt(self, key: int, alg: int, data: bytes, salt: bytes | None = None,
                           size: int = ASYMMETRIC_BUFFER_SIZE) -> bytes:
        """``psa_asymmetric_encrypt`` (``salt`` None: in_len drops to 2, as the v1.3 client)."""
        inputs: list = [bytes(data)] + ([] if salt is None else [bytes(salt)])
        return self._out(f"psa_asymmetric_encrypt(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_ASYMMETRIC_ENCRYPT,
                         inputs, [size], key_id=key, alg=alg)[0]

    def asymmetric_decrypt(self, key: int, alg: int, data: bytes, salt: bytes | None = None,
                           size: int = ASYMMETRIC_BUFFER_SIZE) -> bytes:
        """``psa_asymmetric_decrypt``."""
        inputs: list = [bytes(data)] + ([] if salt is None else [bytes(salt)])
        return self._out(f"psa_asymmetric_decrypt(key {key:#x}, alg {alg:#x})", _S.TFM_CRYPTO_ASYMMETRIC_DECRYPT,
                         inputs, [size], key_id=key, alg=alg)[0]

    def raw_key_agreement(self, alg: int, private_key: int, peer_key: bytes,
                          size: int = RAW_AGREEMENT_BUFFER_SIZE) -> bytes:
        """``psa_raw_key_agreement``: the shared secret."""
        return self._out(f"psa_raw_key_agreement(alg {alg:#x}, key {private_key:#x})", _S.TFM_CRYPTO_RAW_KEY_AGREEMENT,
                         [bytes(peer_key)], [size], key_id=private_key, alg=alg)[0]

    # -- key derivation ---------------------------------------------------------------------
    # v1.3 layouts (docs/crypto-wire.md): only setup and abort carry the handle in out_vec[0];
    # the other steps pass it in the pack and have no handle output.
    def key_derivation_setup(self, alg: int, op: Optional[KeyDerivationOperation] = None) -> KeyDerivationOperation:
        op = op if op is not None else KeyDerivationOperation()
        self._op(f"psa_key_derivation_setup(alg {alg:#x})", _S.TFM_CRYPTO_KEY_DERIVATION_SETUP, op, alg=alg)
        return op

    def key_derivation_get_capacity(self, op: KeyDerivationOperation) -> int:
        out = self._out(f"psa_key_derivation_get_capacity(handle {op.handle})",
                        _S.TFM_CRYPTO_KEY_DERIVATION_GET_CAPACITY, [], [4], op_handle=op.handle)[0]
        return _U32.unpack(out.ljust(4, b"\0"))[0]

    def key_derivation_set_capacity(self, op: KeyDerivationOperation, capacity: int) -> None:
        self._no_out(f"psa_key_derivation_set_capacity(handle {op.handle}, {capacity})",
                     _S.TFM_CRYPTO_KEY_DERIVATION_SET_CAPACITY, op_handle=op.handle, capacity=capacity)

    def key_derivation_input_bytes(self, op: KeyDerivationOperation, step: int, data: bytes) -> None:
        self._no_out(f"psa_key_derivation_input_bytes(handle {op.handle}, step {step:#x})",
                     _S.TFM_CRYPTO_KEY_DERIVATION_INPUT_BYTES, [bytes(data)], op_handle=op.handle, step=step)

    def key_derivation_input_key(self, op: KeyDerivationOperation, step: int, key: int) -> None:
        self._no_out(f"psa_key_derivation_input_key(handle {op.handle}, step {step:#x}, key {key:#x})",
                     _S.TFM_CRYPTO_KEY_DERIVATION_INPUT_KEY, op_handle=op.handle, step=step, key_id=key)

    def key_derivation_key_agreement(self, op: KeyDerivationOperation, step: int, private_key: int,
                                     peer_key: bytes) -> None:
        self._no_out(f"psa_key_derivation_key_agreement(handle {op.handle}, key {private_key:#x})",
                     _S.TFM_CRYPTO_KEY_DERIVATION_KEY_AGREEMENT, [bytes(peer_key)], op_handle=op.handle, step=step,
                     key_id=private_key)

    def key_derivation_output_bytes(self, op: KeyDerivationOperation, n: int) -> bytes:
        return self._out(f"psa_key_derivation_output_bytes(handle {op.handle}, {n})",
                         _S.TFM_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES, [], [n], op_handle=op.handle)[0]

    def key_derivation_output_key(self, attributes: KeyAttributes, op: KeyDerivationOperation) -> int:
        return self._key_id(f"psa_key_derivation_output_key(handle {op.handle}, type {attributes.type:#06x})",
                            _S.TFM_CRYPTO_KEY_DERIVATION_OUTPUT_KEY, [self._attrs(attributes)], op_handle=op.handle)

    def key_derivation_abort(self, op: KeyDerivationOperation) -> None:
        self._op(f"psa_key_derivation_abort(handle {op.handle})", _S.TFM_CRYPTO_KEY_DERIVATION_ABORT, op)

    # -- random -----------------------------------------------------------------------------
    def generate_random(self, n: int) -> bytes:
        """``psa_generate_random``: ``n`` bytes (0 bytes: no call, as the v1.3 client)."""
        if n == 0:
            return b""
        return self._out(f"psa_generate_random({n})", _S.TFM_CRYPTO_GENERATE_RANDOM, [], [n])[0]
