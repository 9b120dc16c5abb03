/* s_veneers.S - import library of psaemu's Host secure side: the five TF-M v1.3 PSA veneers.
 *
 * Assembled into prebuilt/s_veneers.o, the counterpart of the s_veneers.o that TF-M's secure
 * build writes with `--out-implib`: no code, only global absolute Thumb function symbols at the
 * veneer entry addresses (bit 0 set). Link it into a Non-secure application and its calls reach
 * the veneers psaemu writes into the board's veneer region (cores.host.veneer_region of
 * platform/system/boards/musca_b1.toml, TF-M's CMSE_VENEER_REGION_START 0x1A28F4A0): one 8-byte slot
 * per veneer, in the order of proxy/veneers.py VENEERS. The linker adds a long-branch stub for
 * each call from the Non-secure alias (0x0Axxxxxx), as it does for TF-M's import library. */

    .syntax unified
    .thumb

    .macro veneer name, addr
    .global \name
    .type   \name, %function
    .set    \name, (\addr) | 1
    .endm

    veneer tfm_psa_framework_version_veneer, 0x1A28F4A0
    veneer tfm_psa_version_veneer,           0x1A28F4A8
    veneer tfm_psa_connect_veneer,           0x1A28F4B0
    veneer tfm_psa_call_veneer,              0x1A28F4B8
    veneer tfm_psa_close_veneer,             0x1A28F4C0
