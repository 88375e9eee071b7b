/*
 * fuzz-import-folded.c - the folded (collapsed) stacks importer (model/import.c) on
 * arbitrary bytes (fuzz-import.h: detect, import, render, check the sum).
 */
#include "fuzz-import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_import(IMPORT_FOLDED, data, size);
}
