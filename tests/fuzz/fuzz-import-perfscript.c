/*
 * fuzz-import-perfscript.c - the perf script text importer (model/import.c) on
 * arbitrary bytes (fuzz-import.h: detect, import, render, check the sum).
 */
#include "fuzz-import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_import(IMPORT_PERF_SCRIPT, data, size);
}
