/* mhuv2.h - minimal Arm MHUv2 doorbell driver: channel 0..n, whole 32-bit words.
 *
 * Sender frame:   CH_ST[n] @0x000+0x20n, CH_SET[n] @0x00C+0x20n,
 *                 ACCESS_REQUEST @0xF88, ACCESS_READY @0xF8C.
 * Receiver frame: CH_ST[n] @0x000+0x20n, CH_ST_MSK @0x004, CH_CLR @0x008,
 *                 CH_MSK_ST @0x010, CH_MSK_SET @0x014, CH_MSK_CLR @0x018; MHU_CFG @0xF80. */
#ifndef IMAGES_MHUV2_H
#define IMAGES_MHUV2_H

#include <stdint.h>

#define MHU_CH_STRIDE           0x20u

/* sender frame */
#define MHU_SND_CH_ST           0x000u
#define MHU_SND_CH_SET          0x00Cu
#define MHU_SND_ACCESS_REQUEST  0xF88u
#define MHU_SND_ACCESS_READY    0xF8Cu

/* receiver frame */
#define MHU_RCV_CH_ST           0x000u
#define MHU_RCV_CH_ST_MSK       0x004u
#define MHU_RCV_CH_CLR          0x008u
#define MHU_RCV_CH_MSK_ST       0x010u
#define MHU_RCV_CH_MSK_SET      0x014u
#define MHU_RCV_CH_MSK_CLR      0x018u
#define MHU_RCV_MHU_CFG         0xF80u

/* How many times mhu_send() polls ACCESS_READY before giving up. */
#define MHU_ACCESS_SPIN_LIMIT   1000000u

#define MHU_OK                  0
#define MHU_ERR_TIMEOUT         (-1)

/* Sender: ACCESS_REQUEST=1, wait (bounded) for ACCESS_READY, CH_SET[ch]=value,
 * ACCESS_REQUEST=0. Returns MHU_OK, or MHU_ERR_TIMEOUT (nothing sent). */
int mhu_send(uintptr_t sender_base, unsigned ch, uint32_t value);

/* Receiver: unmask all bits of channel ch (CH_MSK_CLR = 0xFFFFFFFF). */
void mhu_recv_unmask(uintptr_t receiver_base, unsigned ch);
/* Receiver: current CH_ST of channel ch. */
uint32_t mhu_recv_status(uintptr_t receiver_base, unsigned ch);
/* Receiver: clear every bit of channel ch (CH_CLR = 0xFFFFFFFF). */
void mhu_recv_clear(uintptr_t receiver_base, unsigned ch);

#endif /* IMAGES_MHUV2_H */
