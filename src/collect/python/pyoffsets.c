/*
 * pyoffsets.c - the per-version CPython layout table used by the Python
 * reader (pyreader.c). Values come from pyoffsets.h, whose constants are
 * checked against CPython's own headers at build time.
 */
#include <stddef.h>

#include "collect/python/pyoffsets.h"
#include "core/banned.h"

static const struct py_offsets tables[] = {
	{
		.major_minor = 0x030b,
		.name = "3.11",
		.runtime_interp_head = PY311_RUNTIME_INTERP_HEAD,
		.runtime_gil_tstate = PY311_RUNTIME_GIL_TSTATE,
		.interp_next = PY311_INTERP_NEXT,
		.interp_threads_head = PY311_INTERP_THREADS_HEAD,
		.tstate_next = PY311_TSTATE_NEXT,
		.tstate_cframe = PY311_TSTATE_CFRAME,
		.tstate_thread_id = PY311_TSTATE_THREAD_ID,
		.tstate_native_tid = PY311_TSTATE_NATIVE_TID,
		.cframe_current = PY311_CFRAME_CURRENT,
		.frame_code = PY311_FRAME_CODE,
		.frame_previous = PY311_FRAME_PREVIOUS,
		.frame_prev_instr = PY311_FRAME_PREV_INSTR,
		.frame_is_entry = PY311_FRAME_IS_ENTRY,
		.frame_owner = PY311_FRAME_OWNER,
		.frame_size = 72,
		.object_type = PY311_OBJECT_TYPE,
		.varobject_size = PY311_VAROBJECT_SIZE,
		.code_firstlineno = PY311_CODE_FIRSTLINENO,
		.code_filename = PY311_CODE_FILENAME,
		.code_name = PY311_CODE_NAME,
		.code_qualname = PY311_CODE_QUALNAME,
		.code_linetable = PY311_CODE_LINETABLE,
		.code_firsttraceable = PY311_CODE_FIRSTTRACEABLE,
		.code_adaptive = PY311_CODE_ADAPTIVE,
		.code_size = PY311_CODE_ADAPTIVE,
		.bytes_data = PY311_BYTES_DATA,
		.str_length = PY311_STR_LENGTH,
		.str_state = PY311_STR_STATE,
		.str_ascii_data = PY311_STR_ASCII_DATA,
		.str_compact_data = PY311_STR_COMPACT_DATA,
		.frame_owner_generator = 1,
		.runtime_gil_locked = PY311_RUNTIME_GIL_LOCKED,
		.runtime_gil_last_holder = PY311_RUNTIME_GIL_LAST_HOLDER,
		.interp_modules = PY311_INTERP_MODULES,
		.type_name = PY311_TYPE_NAME,
		.type_flags = PY311_TYPE_FLAGS,
		.type_dictoffset = PY311_TYPE_DICTOFFSET,
		.heaptype_cached_keys = PY311_HEAPTYPE_CACHED_KEYS,
		.dict_used = PY311_DICT_USED,
		.dict_keys = PY311_DICT_KEYS,
		.dict_values = PY311_DICT_VALUES,
		.dictkeys_log2_size = PY311_DICTKEYS_LOG2_SIZE,
		.dictkeys_log2_index_bytes = PY311_DICTKEYS_LOG2_INDEX_BYTES,
		.dictkeys_kind = PY311_DICTKEYS_KIND,
		.dictkeys_nentries = PY311_DICTKEYS_NENTRIES,
		.dictkeys_indices = PY311_DICTKEYS_INDICES,
		.dict_entry_size = PY311_DICT_ENTRY_SIZE,
		.dict_uentry_size = PY311_DICT_UENTRY_SIZE,
		.module_dict = PY311_MODULE_DICT,
		.long_digits = PY311_LONG_DIGITS,
		.float_value = PY311_FLOAT_VALUE,
		.tuple_items = PY311_TUPLE_ITEMS,
		.list_items = PY311_LIST_ITEMS,
		.cell_ref = PY311_CELL_REF,
		.frame_localsplus = PY311_FRAME_LOCALSPLUS,
		.code_flags = PY311_CODE_FLAGS,
		.code_argcount = PY311_CODE_ARGCOUNT,
		.code_kwonlyargcount = PY311_CODE_KWONLYARGCOUNT,
		.code_nlocalsplus = PY311_CODE_NLOCALSPLUS,
		.code_localsplusnames = PY311_CODE_LOCALSPLUSNAMES,
		.code_localspluskinds = PY311_CODE_LOCALSPLUSKINDS,
		.type_managed_dict = 1u << 4,
	},
};

const struct py_offsets *py_offsets_find(uint32_t version_hex)
{
	uint32_t mm = version_hex >> 16;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i].major_minor == mm)
			return &tables[i];
	return NULL;
}

const char *py_offsets_supported(void)
{
	return "3.11";
}
