/*
 * ksyms.h - kernel addresses seen while recording, named through
 * /proc/kallsyms at the end of the recording (collect layer), so that a
 * recording carries the kernel symbols it needs (REC_KSYM records) and can
 * be reported anywhere, later, without root.
 */
#ifndef PINCH_COLLECT_KSYMS_H
#define PINCH_COLLECT_KSYMS_H

#include <stdint.h>

struct rec_writer;
struct ksyms;

struct ksyms *ksyms_new(void);
void ksyms_free(struct ksyms *k);
/* Remembers a sampled kernel address (once). 0 or -ENOMEM. */
int ksyms_add(struct ksyms *k, uint64_t addr);
/* Names every remembered address from kallsyms_path (/proc/kallsyms) and
 * appends one REC_KSYM per address to w. *hidden is set when the file
 * shows no addresses (kptr_restrict): the records then carry no names.
 * Returns 0 or -errno of the writer; an unreadable kallsyms is not an
 * error (the names are then empty). */
int ksyms_write(struct ksyms *k, const char *kallsyms_path, struct rec_writer *w, int *hidden);

#endif
