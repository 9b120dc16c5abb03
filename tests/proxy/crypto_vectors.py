"""Published test vectors for the crypto family tests (values copied from the documents named).

Every vector is also checked against the ``cryptography``/hashlib oracle by
``test_crypto_vectors_agree_with_the_oracle`` so a copying mistake shows up as such.
"""
from __future__ import annotations

h = bytes.fromhex

# --- FIPS 180-2 appendix examples ("abc"; also the first CAVP ShortMsg entries) -----------
SHA_ABC = {
    "sha1": h("a9993e364706816aba3e25717850c26c9cd0d89d"),
    "sha224": h("23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
    "sha256": h("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    "sha384": h("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                "8086072ba1e7cc2358baeca134c825a7"),
    "sha512": h("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
}

# --- RFC 4231 test cases 1 and 2 ---------------------------------------------------------
HMAC_RFC4231 = [
    (b"\x0b" * 20, b"Hi There", {
        "sha224": h("896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22"),
        "sha256": h("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        "sha384": h("afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                    "faea9ea9076ede7f4af152e8b2fa9cb6"),
        "sha512": h("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
    }),
    (b"Jefe", b"what do ya want for nothing?", {
        "sha256": h("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    }),
]

# --- RFC 4493 §4 (AES-128 CMAC) ----------------------------------------------------------
CMAC_KEY = h("2b7e151628aed2a6abf7158809cf4f3c")
_M64 = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
         "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
CMAC_RFC4493 = [
    (b"", h("bb1d6929e95937287fa37d129b756746")),
    (_M64[:16], h("070a16b46b4d4144f79bdd9dd04a287c")),
    (_M64[:40], h("dfa66747de9ae63030ca32611497c827")),
    (_M64, h("51f0bebf7e3b9d92fc49741779363cfe")),
]

# --- NIST SP 800-38A appendix F (AES-128, first block) ------------------------------------
SP800_38A_KEY = CMAC_KEY
SP800_38A_P1 = _M64[:16]
SP800_38A = {
    # mode: (iv, first ciphertext block)
    "ecb": (None, h("3ad77bb40d7a3660a89ecaf32466ef97")),
    "cbc": (h("000102030405060708090a0b0c0d0e0f"), h("7649abac8119b246cee98e9b12e9197d")),
    "ctr": (h("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), h("874d6191b620e3261bef6864990db6ce")),
    "cfb": (h("000102030405060708090a0b0c0d0e0f"), h("3b3fd92eb72dad20333449f8e83cfb4a")),
    "ofb": (h("000102030405060708090a0b0c0d0e0f"), h("3b3fd92eb72dad20333449f8e83cfb4a")),
}

# --- GCM spec (McGrew/Viega, the NIST GCM submission) test cases 2 and 4 ------------------
GCM_VECTORS = [
    # key, iv, plaintext, aad, ciphertext, tag
    (bytes(16), bytes(12), bytes(16), b"", h("0388dace60b6a392f328c2b971b2fe78"),
     h("ab6e47d42cec13bdf53a67b21257bddf")),
    (h("feffe9928665731c6d6a8f9467308308"), h("cafebabefacedbaddecaf888"),
     h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"),
     h("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
     h("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"),
     h("5bc94fbc3221a5db94fae95ae7121a47")),
]

# --- RFC 3610 §8 packet vector #1 (CCM, 8-byte tag, 13-byte nonce) -----------------------
CCM_RFC3610_1 = dict(
    key=h("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"), nonce=h("00000003020100a0a1a2a3a4a5"),
    aad=h("0001020304050607"), plaintext=h("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e"),
    output=h("588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"), tag_len=8)

# --- RFC 8439 §2.8.2 (AEAD_CHACHA20_POLY1305) --------------------------------------------
CHACHAPOLY_RFC8439 = dict(
    key=h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
    nonce=h("070000004041424344454647"), aad=h("50515253c0c1c2c3c4c5c6c7"),
    plaintext=(b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
               b"future, sunscreen would be it."),
    ciphertext_head=h("d31a8d34648e60db7b86afbc53ef7ec2"), tag=h("1ae10b594f09e26a7e902ecbd0600691"))

# --- RFC 6979 A.2.5 (deterministic ECDSA, P-256, SHA-256, message "sample") ---------------
ECDSA_P256_RFC6979 = dict(
    x=h("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"),
    ux=h("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"),
    uy=h("7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"),
    message=b"sample",
    r=h("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"),
    s=h("f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"))

# --- RFC 5869 A.1 (HKDF-SHA-256 test case 1) ---------------------------------------------
HKDF_RFC5869_1 = dict(
    ikm=b"\x0b" * 22, salt=h("000102030405060708090a0b0c"), info=h("f0f1f2f3f4f5f6f7f8f9"), length=42,
    okm=h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))

# --- RFC 7748 §6.1 (X25519 Diffie-Hellman) -----------------------------------------------
X25519_RFC7748 = dict(
    alice_private=h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
    alice_public=h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
    bob_private=h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
    bob_public=h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
    shared=h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"))
