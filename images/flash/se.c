/* flash/se.c - Secure Enclave (Cortex-M0+) flash controller check: drives the Host eFlash0
 * GFC-100 controller and the Cadence QSPI controller + MT25QL through the SE's SYS remap
 * window the way an SE storage driver does (poll STATUS, clear IRQ status; flash commands with
 * write enable and flag-status polling), prints one line per check and exits (semihosting)
 * with the number of failures. Leaves a marker for the test to find in Host memory:
 * eFlash0 0x1A040000 = FLASH_SE_EFLASH_MARK, QSPI flash 0x10000000 = "psaemu-q". */
#include <stdint.h>

#include "board_se.h"
#include "print.h"
#include "semihost.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))

/* GFC-100 (register offsets of the controller's public driver) */
#define EF_IRQ_STATUS_CLR   0x00Cu
#define EF_CTRL             0x014u
#define EF_STATUS           0x018u
#define EF_ADDR             0x01Cu
#define EF_DATA(i)          (0x020u + 4u * (i))
#define EF_PS_ERROR         0x1018u
#define EF_CMD_READ         1u
#define EF_CMD_WRITE        2u
#define EF_CMD_ERASE        4u
#define EF_ST_SUCCESS       (1u << 2)
#define EF_ST_FAIL          (1u << 3)
#define EF_ST_FINISH        (1u << 4)

/* Cadence QSPI flash command registers */
#define QS_CFG              0x00u
#define QS_CMD_CTRL         0x90u
#define QS_CMD_ADDR         0x94u
#define QS_RD_LO            0xA0u
#define QS_RD_HI            0xA4u
#define QS_WR_LO            0xA8u
#define QS_WR_HI            0xACu
#define QS_CMD_EXECUTE      (1u << 0)
#define QS_CMD_BUSY         (1u << 1)

#define FLASH_SE_EFLASH_MARK 0x5E1F1A55u

static unsigned failures;

static void check(const char *what, uint32_t got, uint32_t want)
{
    print_str("flash_se: ");
    print_str(what);
    if (got == want) {
        print_str(" ok");
    } else {
        print_str(" FAIL got ");
        print_hex32(got);
        print_str(" want ");
        print_hex32(want);
        failures++;
    }
    print_nl();
}

/* One GFC-100 command; returns the SUCCESS/FAIL bits of STATUS. */
static uint32_t ef_command(uint32_t cmd, uint32_t addr, uint32_t data)
{
    uint32_t st;

    REG(SE_EFLASH0_BASE, EF_ADDR) = addr;
    REG(SE_EFLASH0_BASE, EF_DATA(0)) = data;
    REG(SE_EFLASH0_BASE, EF_CTRL) = cmd;
    while (!((st = REG(SE_EFLASH0_BASE, EF_STATUS)) & (EF_ST_SUCCESS | EF_ST_FAIL | EF_ST_FINISH))) {
    }
    if (st & EF_ST_FINISH) {
        REG(SE_EFLASH0_BASE, EF_IRQ_STATUS_CLR) = 0x1Fu;
        while (!((st = REG(SE_EFLASH0_BASE, EF_STATUS)) & (EF_ST_SUCCESS | EF_ST_FAIL))) {
        }
    }
    REG(SE_EFLASH0_BASE, EF_IRQ_STATUS_CLR) = 0x1Fu;
    return st & (EF_ST_SUCCESS | EF_ST_FAIL);
}

/* One QSPI flash command: opcode, optional 3-byte address, up to 8 bytes out or in. */
static uint64_t qs_command(uint8_t opcode, int with_addr, uint32_t addr, const uint8_t *out,
                           unsigned out_len, unsigned in_len)
{
    uint32_t ctrl = (uint32_t)opcode << 24;
    uint32_t words[2] = {0, 0};
    unsigned i;

    if (out_len) {
        for (i = 0; i < out_len; i++) {
            words[i / 4] |= (uint32_t)out[i] << (8 * (i % 4));
        }
        REG(SE_QSPI_BASE, QS_WR_LO) = words[0];
        REG(SE_QSPI_BASE, QS_WR_HI) = words[1];
        ctrl |= (1u << 15) | ((out_len - 1u) << 12);
    }
    if (with_addr) {
        REG(SE_QSPI_BASE, QS_CMD_ADDR) = addr;
        ctrl |= (1u << 19) | (2u << 16);
    }
    if (in_len) {
        ctrl |= (1u << 23) | ((in_len - 1u) << 20);
    }
    if (opcode == 0x0Bu) {
        ctrl |= 8u << 7;                        /* FAST READ: 8 dummy cycles */
    }
    REG(SE_QSPI_BASE, QS_CMD_CTRL) = ctrl;
    REG(SE_QSPI_BASE, QS_CMD_CTRL) = ctrl | QS_CMD_EXECUTE;
    while (REG(SE_QSPI_BASE, QS_CMD_CTRL) & QS_CMD_BUSY) {
    }
    return ((uint64_t)REG(SE_QSPI_BASE, QS_RD_HI) << 32) | REG(SE_QSPI_BASE, QS_RD_LO);
}

static void qs_wait_ready(void)
{
    while (!(qs_command(0x70u, 0, 0, 0, 0, 1) & 0x80u)) {  /* READ FLAG STATUS: bit 7 ready */
    }
}

static void check_eflash(void)
{
    check("eflash erase page", ef_command(EF_CMD_ERASE, 0x40000u, 0), EF_ST_SUCCESS);
    check("eflash program", ef_command(EF_CMD_WRITE, 0x40000u, FLASH_SE_EFLASH_MARK), EF_ST_SUCCESS);
    check("eflash read", ef_command(EF_CMD_READ, 0x40000u, 0), EF_ST_SUCCESS);
    check("eflash data", REG(SE_EFLASH0_BASE, EF_DATA(0)), FLASH_SE_EFLASH_MARK);
    check("eflash erased rest", REG(SE_EFLASH0_BASE, EF_DATA(3)), 0xFFFFFFFFu);
    check("eflash reprogram refused", ef_command(EF_CMD_WRITE, 0x40000u, 0), EF_ST_FAIL);
    check("eflash error cause", REG(SE_EFLASH0_BASE, EF_PS_ERROR), 3u);
    check("eflash bad command", ef_command(6u, 0, 0), EF_ST_FAIL);
}

static void check_qspi(void)
{
    static const uint8_t mark[8] = {'p', 's', 'a', 'e', 'm', 'u', '-', 'q'};
    uint64_t got;

    REG(SE_QSPI_BASE, QS_CFG) |= 1u;                                      /* enable */
    check("qspi read id", (uint32_t)qs_command(0x9Fu, 0, 0, 0, 0, 3), 0x17BA20u);
    qs_command(0x06u, 0, 0, 0, 0, 0);                                     /* WRITE ENABLE */
    qs_command(0x20u, 1, 0, 0, 0, 0);                                     /* 4 KiB subsector erase */
    qs_wait_ready();
    check("qspi erased", (uint32_t)qs_command(0x03u, 1, 0, 0, 0, 4), 0xFFFFFFFFu);
    qs_command(0x02u, 1, 0, mark, 8, 0);                                  /* no WREN: ignored */
    check("qspi program needs wren", (uint32_t)qs_command(0x03u, 1, 0, 0, 0, 4), 0xFFFFFFFFu);
    qs_command(0x06u, 0, 0, 0, 0, 0);
    check("qspi wel set", (uint32_t)qs_command(0x05u, 0, 0, 0, 0, 1) & 2u, 2u);
    qs_command(0x02u, 1, 0, mark, 8, 0);                                  /* PAGE PROGRAM */
    qs_wait_ready();
    got = qs_command(0x0Bu, 1, 0, 0, 0, 8);                               /* FAST READ */
    check("qspi fast read lo", (uint32_t)got, 0x65617370u);
    check("qspi fast read hi", (uint32_t)(got >> 32), 0x712D756Du);
}

int main(void)
{
    console_init(SE_UART_BASE);
    check_eflash();
    check_qspi();
    print_str("flash_se: ");
    print_udec(failures);
    print_str(" failures");
    print_nl();
    console_flush();
    semihost_exit(failures);
}
