/* sse200/host.c - Host (Cortex-M33) check of the SSE-200 control blocks the TF-M sse_200 port
 * programs at boot: CPU_IDENTITY, System Control RESET_MASK, the SAU regions, the SIE-200 MPCs
 * (geometry from BLK_CFG/BLK_MAX, LUT words through BLK_IDX, auto-increment), the Secure and
 * Non-secure privilege control PPC bits and NSCCFG. Each block is programmed the way a secure
 * boot does it and read back; the exit status (semihosting) is the number of failed checks. */
#include <stdint.h>

#include "../exc/check.h"
#include "board_host.h"
#include "print.h"
#include "regs.h"

#define CPU_IDENTITY    0x5001F000u
#define SYSCTRL         0x50021000u
#define SPCTRL          0x50080000u
#define NSPCTRL         0x40080000u
#define MPC_SRAM2       0x50085000u
#define MPC_EFLASH1     0x52300000u

#define SAU_CTRL        0xE000EDD0u
#define SAU_TYPE        0xE000EDD4u
#define SAU_RNR         0xE000EDD8u
#define SAU_RBAR        0xE000EDDCu
#define SAU_RLAR        0xE000EDE0u

#define MPC_CTRL        0x000u
#define MPC_BLK_MAX     0x010u
#define MPC_BLK_CFG     0x014u
#define MPC_BLK_IDX     0x018u
#define MPC_BLK_LUT     0x01Cu
#define MPC_AUTOINC     BIT(8)

static void sau_region(uint32_t n, uint32_t base, uint32_t limit, uint32_t nsc)
{
    REG32(SAU_RNR) = n;
    REG32(SAU_RBAR) = base & ~0x1Fu;
    REG32(SAU_RLAR) = (limit & ~0x1Fu) | (nsc ? 2u : 0u) | 1u;
}

static void check_sau(void)
{
    check_begin("sau");
    expect_eq("type", REG32(SAU_TYPE), 8u);
    sau_region(0, 0x0A290000u, 0x0A2DFFFFu, 0);      /* NS code */
    sau_region(1, 0x20040000u, 0x2007FFFFu, 0);      /* NS data */
    sau_region(2, 0x1A28F4A0u, 0x1A28F7FFu, 1);      /* veneers, Non-secure callable */
    REG32(SAU_CTRL) = 1u;
    REG32(SAU_RNR) = 2u;
    expect_eq("rbar2", REG32(SAU_RBAR), 0x1A28F4A0u);
    expect_eq("rlar2", REG32(SAU_RLAR), 0x1A28F7E3u);
    REG32(SAU_RNR) = 0u;
    expect_eq("rlar0", REG32(SAU_RLAR), 0x0A2DFFE1u);
    expect_eq("ctrl", REG32(SAU_CTRL), 1u);
    check_end();
}

/* Opens [offset, offset+size) of the memory an MPC gates, block by block, one LUT word at a
 * time (read-modify-write), and returns the block size the MPC reports. */
static uint32_t mpc_open(uint32_t mpc, uint32_t offset, uint32_t size)
{
    uint32_t block = 1u << (REG32_OFF(mpc, MPC_BLK_CFG) + 5u);
    for (uint32_t b = offset / block; b < (offset + size) / block; b++) {
        REG32_OFF(mpc, MPC_BLK_IDX) = b / 32u;
        uint32_t word = REG32_OFF(mpc, MPC_BLK_LUT);
        REG32_OFF(mpc, MPC_BLK_IDX) = b / 32u;
        REG32_OFF(mpc, MPC_BLK_LUT) = word | BIT(b % 32u);
    }
    return block;
}

static void check_mpc(void)
{
    check_begin("mpc");
    uint32_t block = mpc_open(MPC_EFLASH1, 0x90000u, 0x50000u);
    uint32_t words = REG32_OFF(MPC_EFLASH1, MPC_BLK_MAX) + 1u;
    expect_eq("eflash1 geometry", words * 32u * block, 0x200000u);
    for (uint32_t off = 0; off < 0x200000u; off += block) {
        uint32_t b = off / block;
        REG32_OFF(MPC_EFLASH1, MPC_BLK_IDX) = b / 32u;
        uint32_t ns = (REG32_OFF(MPC_EFLASH1, MPC_BLK_LUT) >> (b % 32u)) & 1u;
        if (!expect_eq("eflash1 block", ns, off >= 0x90000u && off < 0xE0000u))
            break;
    }
    /* SRAM bank 2 entirely Non-secure, written with auto-increment */
    uint32_t sram_words = REG32_OFF(MPC_SRAM2, MPC_BLK_MAX) + 1u;
    REG32_OFF(MPC_SRAM2, MPC_CTRL) = MPC_AUTOINC;
    REG32_OFF(MPC_SRAM2, MPC_BLK_IDX) = 0u;
    for (uint32_t i = 0; i < sram_words; i++)
        REG32_OFF(MPC_SRAM2, MPC_BLK_LUT) = 0xFFFFFFFFu;
    REG32_OFF(MPC_SRAM2, MPC_CTRL) = 0u;
    REG32_OFF(MPC_SRAM2, MPC_BLK_IDX) = sram_words - 1u;
    expect_eq("sram2 last word", REG32_OFF(MPC_SRAM2, MPC_BLK_LUT), 0xFFFFFFFFu);
    check_end();
}

static void check_control_blocks(void)
{
    check_begin("control");
    expect_eq("cpuid", REG32(CPU_IDENTITY), 0u);
    REG32_OFF(SYSCTRL, 0x104u) |= BIT(5);                     /* RESET_MASK */
    expect_eq("reset mask", REG32_OFF(SYSCTRL, 0x104u), BIT(5));
    REG32_OFF(SPCTRL, 0x014u) |= 1u;                          /* NSCCFG: CODENSC */
    REG32_OFF(SPCTRL, 0x070u) |= BIT(3);                      /* APBNSPPC0: MHU0 */
    REG32_OFF(SPCTRL, 0x084u) |= BIT(6);                      /* APBNSPPCEXP1 */
    REG32_OFF(NSPCTRL, 0x0B0u) |= BIT(3);                     /* APBNSPPPC0 */
    expect_eq("nsccfg", REG32_OFF(SPCTRL, 0x014u), 1u);
    expect_eq("apbnsppc0", REG32_OFF(SPCTRL, 0x070u), BIT(3));
    expect_eq("apbnsppcexp1", REG32_OFF(SPCTRL, 0x084u), BIT(6));
    expect_eq("apbnspppc0", REG32_OFF(NSPCTRL, 0x0B0u), BIT(3));
    check_end();
}

int main(void)
{
    console_init(HOST_UART_BASE);
    check_control_blocks();
    check_sau();
    check_mpc();
    return check_summary("sse200_host");
}
