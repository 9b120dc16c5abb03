/* tz/irq.c - Armv8-M Security Extension: what Secure code sees once the core has been in
 * Non-secure state (checked against the Armv8-M Architecture Reference Manual):
 *
 *   Secure main enters the Non-secure part once with BLXNS (it calls a Secure gateway, SG ...
 *   BXNS LR, and returns through FNC_RETURN), programs the SAU and then checks
 *   - TT/TTA of Secure code, Non-secure SRAM, an NSC region and a Non-secure alias outside the
 *     SAU regions (C2.4 "TT": S, R/RW, NSR/NSRW, SREGION/SRVALID; no MPU: MRVALID 0);
 *   - a Non-secure interrupt (NVIC_ITNS) taken while Secure Thread code runs with known R4-R11
 *     (B3.19 "Exception entry, context stacking"): the additional state context (integrity
 *     signature 0xFEFA125B, reserved word, R4-R11) below the basic frame on the Secure stack,
 *     EXC_RETURN S = 1, DCRS = 0, ES = 0, R0-R3 and R4-R11 cleared for the Non-secure handler,
 *     which runs on MSP_NS through VTOR_NS; the return checks the signature and restores R4-R11
 *     (B3.21 "Exception return");
 *   - the same interrupt pended together with a higher-priority Secure one: the Secure handler
 *     returns, the Non-secure one is tail-chained and the context is pushed then.
 *
 * The Non-secure handler writes what it saw to Non-secure SRAM (NS_RES); the Secure part checks
 * it. The exit status (semihosting) is the number of failed checks. */
#include <stdint.h>

#include "../exc/check.h"
#include "board_host.h"
#include "print.h"
#include "regs.h"
#include "scs.h"

#define SCB_NS_VTOR   0xE002ED08u
#define NS_MSP_TOP    0x20042000u
#define NS_RES        ((volatile uint32_t *)0x20043000u)
#define NVIC_ITNS1    0xE000E384u
#define SAU_CTRL      0xE000EDD0u
#define SAU_RNR       0xE000EDD8u
#define SAU_RBAR      0xE000EDDCu
#define SAU_RLAR      0xE000EDE0u
#define S_IRQ         40u                /* Secure interrupt */
#define NS_IRQ        41u                /* targets Non-secure state (NVIC_ITNS) */
#define INTEGRITY_SIG 0xFEFA125Bu
/* TT response (C2.4): SREGION [15:8], SRVALID 17, R 18, RW 19, NSR 20, NSRW 21, S 22 */
#define TT_SRVALID    (1u << 17)
#define TT_R_RW       (3u << 18)
#define TT_NSR_NSRW   (3u << 20)
#define TT_S          (1u << 22)

/* What the Non-secure handler saw (word offsets into NS_RES, used by its assembly as bytes * 4). */
enum { R_IPSR, R_EXCRET, R_R0, R_R4, R_MSP, R_COUNT, R_GATEWAY };

void ns_reset(void);
void ns_irq_handler(void);
void ns_default_handler(void);

__attribute__((section(".ns_vectors"), used))
void (*const ns_vectors[16 + NS_IRQ + 1])(void) = {
    (void (*)(void))NS_MSP_TOP, ns_reset,
    ns_default_handler, ns_default_handler, ns_default_handler, ns_default_handler, ns_default_handler,
    ns_default_handler, 0, 0, 0, ns_default_handler, ns_default_handler, 0, ns_default_handler,
    ns_default_handler,
    [16 + NS_IRQ] = ns_irq_handler,
};

void s_gateway(void);

/* Entered by BLXNS with LR = FNC_RETURN: one gateway call, then back to Secure state. */
__attribute__((naked, section(".ns_text"))) void ns_reset(void)
{
    __asm volatile(
        "push  {r3, lr}\n"
        "movs  r0, #41\n"
        "ldr   r1, =s_gateway\n"
        "blx   r1\n"
        "ldr   r3, =0x20043000\n"
        "str   r0, [r3, #24]\n"          /* R_GATEWAY */
        "pop   {r1, r3}\n"
        "bx    r3\n"                      /* FNC_RETURN */
        ".ltorg\n");
}

/* Secure gateway: SG, r0 + 1, BXNS LR back to the Non-secure caller. */
__attribute__((naked)) void s_gateway(void)
{
    __asm volatile(
        "sg\n"
        "adds  r0, #1\n"
        "bxns  lr\n");
}

__attribute__((naked, section(".ns_text"))) void ns_irq_handler(void)
{
    __asm volatile(
        "ldr   r3, =0x20043000\n"
        "str   r0, [r3, #8]\n"            /* R_R0 */
        "str   r4, [r3, #12]\n"           /* R_R4 */
        "mrs   r0, ipsr\n"
        "str   r0, [r3, #0]\n"
        "str   lr, [r3, #4]\n"
        "mrs   r0, msp\n"
        "str   r0, [r3, #16]\n"
        "ldr   r0, [r3, #20]\n"           /* R_COUNT */
        "adds  r0, #1\n"
        "str   r0, [r3, #20]\n"
        "bx    lr\n"
        ".ltorg\n");
}

__attribute__((naked, section(".ns_text"))) void ns_default_handler(void)
{
    __asm volatile("b .\n");
}

static volatile uint32_t s_irq_excret, s_irq_count;
volatile uint32_t s_wait_sp;

void IRQ40_Handler(void)
{
    uint32_t lr;
    __asm volatile("mov %0, lr" : "=r"(lr));
    s_irq_excret = lr;
    s_irq_count++;
}

/* Secure Thread code with R4-R11 = 0x44444444..0xBBBBBBBB: pends the interrupts of the
 * NVIC_ISPR1 mask r1 (with PRIMASK set, so that they are pending together), waits until the
 * Non-secure handler has counted to r2, and stores R4-R11 as they are then to *r0. */
__attribute__((naked)) void s_wait_ns_irq(__attribute__((unused)) uint32_t *out, __attribute__((unused)) uint32_t ispr1,
                                          __attribute__((unused)) uint32_t count)
{
    __asm volatile(
        "push  {r4-r11, lr}\n"
        "push  {r0}\n"
        "ldr   r4, =0x44444444\n"
        "ldr   r5, =0x55555555\n"
        "ldr   r6, =0x66666666\n"
        "ldr   r7, =0x77777777\n"
        "ldr   r8, =0x88888888\n"
        "ldr   r9, =0x99999999\n"
        "ldr   r10, =0xAAAAAAAA\n"
        "ldr   r11, =0xBBBBBBBB\n"
        "ldr   r3, =s_wait_sp\n"
        "mov   r0, sp\n"
        "str   r0, [r3]\n"
        "cpsid i\n"
        "ldr   r3, =0xE000E204\n"         /* NVIC_ISPR1 */
        "str   r1, [r3]\n"
        "cpsie i\n"
        "ldr   r3, =0x20043014\n"         /* NS_RES[R_COUNT] */
        "1: ldr r0, [r3]\n"
        "cmp   r0, r2\n"
        "bne   1b\n"
        "pop   {r0}\n"
        "stmia r0!, {r4-r11}\n"
        "pop   {r4-r11, pc}\n"
        ".ltorg\n");
}

static uint32_t tt(uint32_t addr)
{
    uint32_t v;
    __asm volatile("tt %0, %1" : "=r"(v) : "r"(addr));
    return v;
}

static uint32_t tta(uint32_t addr)
{
    uint32_t v;
    __asm volatile("tta %0, %1" : "=r"(v) : "r"(addr));
    return v;
}

/* The Non-secure handler's view and the Secure context after one wait. */
static void check_ns_irq(const char *name, const uint32_t *regs)
{
    check_begin(name);
    expect_eq("ipsr", NS_RES[R_IPSR], 16 + NS_IRQ);
    expect_eq("exc_return", NS_RES[R_EXCRET], 0xFFFFFFD8u);     /* S=1 DCRS=0 FType Thread MSP ES=0 */
    expect_eq("r0 cleared", NS_RES[R_R0], 0);
    expect_eq("r4 cleared", NS_RES[R_R4], 0);
    expect_eq("handler on msp_ns", NS_RES[R_MSP], NS_MSP_TOP);
    /* basic frame (0x20) right below the waiting SP, the additional context (0x28) below it */
    expect_eq("integrity signature", REG32(s_wait_sp - 0x48u), INTEGRITY_SIG);
    expect_eq("r4 in context", REG32(s_wait_sp - 0x40u), 0x44444444u);
    expect_eq("r11 in context", REG32(s_wait_sp - 0x24u), 0xBBBBBBBBu);
    for (int i = 0; i < 8; i++)
        expect_eq("r4-r11 restored", regs[i], 0x44444444u + 0x11111111u * (uint32_t)i);
    check_end();
}

int main(void)
{
    uint32_t regs[8];

    console_init(HOST_UART_BASE);
    REG32(SCB_NS_VTOR) = (uint32_t)ns_vectors;
    __asm volatile("msr msp_ns, %0" : : "r"(NS_MSP_TOP));
    __asm volatile("blxns %0" : : "r"((uint32_t)ns_reset & ~1u)
                   : "r0", "r1", "r2", "r3", "r12", "lr", "memory", "cc");

    check_begin("gateway");
    expect_eq("result", NS_RES[R_GATEWAY], 42);
    check_end();

    /* SAU region 0: Non-secure SRAM 0x20040000-0x2007FFFF; region 1: NSC 0x1A3F0000-0x1A3FFFFF */
    REG32(SAU_RNR) = 0;
    REG32(SAU_RBAR) = 0x20040000u;
    REG32(SAU_RLAR) = 0x2007FFE0u | 1u;
    REG32(SAU_RNR) = 1;
    REG32(SAU_RBAR) = 0x1A3F0000u;
    REG32(SAU_RLAR) = 0x1A3FFFE0u | 2u | 1u;
    REG32(SAU_CTRL) = 1;
    check_begin("tt");
    expect_eq("tt secure code", tt((uint32_t)main), TT_S | TT_R_RW);
    expect_eq("tta ns sram", tta(0x20043000u), TT_NSR_NSRW | TT_R_RW | TT_SRVALID | (0u << 8));
    expect_eq("tt nsc region", tt(0x1A3F0100u), TT_S | TT_R_RW | TT_SRVALID | (1u << 8));
    expect_eq("tt ns alias outside the regions", tt(0x0A2A0000u), TT_S | TT_R_RW);
    check_end();

    REG32(NVIC_ITNS1) = 1u << (NS_IRQ - 32u);
    nvic_set_priority(S_IRQ, 0x40);
    nvic_set_priority(NS_IRQ, 0x80);
    nvic_enable_irq(S_IRQ);
    nvic_enable_irq(NS_IRQ);
    NS_RES[R_COUNT] = 0;
    s_wait_ns_irq(regs, 1u << (NS_IRQ - 32u), 1);
    check_ns_irq("ns irq from secure", regs);

    NS_RES[R_R4] = 0xDEADBEEFu;
    NS_RES[R_R0] = 0xDEADBEEFu;
    s_wait_ns_irq(regs, 3u << (S_IRQ - 32u), 2);
    check_begin("secure irq first");
    expect_eq("count", s_irq_count, 1);
    expect_eq("exc_return", s_irq_excret, 0xFFFFFFF9u);           /* S=1 DCRS=1 ES=1 Thread MSP */
    check_end();
    check_ns_irq("ns irq tail-chained", regs);
    return check_summary("tz_irq_host");
}
