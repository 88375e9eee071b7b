/*
 * biolat.h - block I/O latency through BPF (pinch io --latency; collect
 * layer): a log2 histogram of issue-to-completion times of every block
 * request on the machine. Never prints.
 */
#ifndef PINCH_COLLECT_BIOLAT_H
#define PINCH_COLLECT_BIOLAT_H

#include <stddef.h>
#include <stdint.h>

#define BIOLAT_BUCKETS 40	/* bucket i: [2^i, 2^(i+1)) ns */

struct biolat;

/* NULL with err set when BPF is refused or unavailable. */
struct biolat *biolat_open(char *err, size_t errlen);
/* The histogram since the last read (it is reset). 0 or -errno. */
int biolat_read(struct biolat *b, uint64_t hist[BIOLAT_BUCKETS]);
void biolat_close(struct biolat *b);

#endif
