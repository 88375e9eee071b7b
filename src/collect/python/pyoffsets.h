/*
 * pyoffsets.h - the CPython layouts pinch's Python reader walks, one
 * table per supported minor version, selected by the target's Py_Version.
 * The numbers are plain constants (no CPython headers needed at run
 * time); tests/unit/t-pyoffsets-check.c asserts each one with offsetof()
 * against the installed headers at build time.
 *
 * Adding a version: add a PYxyy_* block and a table row in pyoffsets.c.
 * 3.12+ carry _Py_DebugOffsets at the start of _PyRuntime, so their row
 * can be filled from the target itself (py_offsets.from_debug_offsets).
 */
#ifndef PINCH_COLLECT_PYTHON_PYOFFSETS_H
#define PINCH_COLLECT_PYTHON_PYOFFSETS_H

#include <stdint.h>

/* CPython 3.11.x (x86-64): identical in 3.11.2 and 3.11.7. */
#define PY311_RUNTIME_INTERP_HEAD	40	/* _PyRuntimeState.interpreters.head */
#define PY311_RUNTIME_GIL_TSTATE	576	/* _PyRuntimeState.gilstate.tstate_current */
#define PY311_INTERP_NEXT		0	/* PyInterpreterState.next */
#define PY311_INTERP_THREADS_HEAD	16	/* PyInterpreterState.threads.head */
#define PY311_TSTATE_NEXT		8	/* PyThreadState.next */
#define PY311_TSTATE_CFRAME		56	/* PyThreadState.cframe */
#define PY311_TSTATE_THREAD_ID		152	/* PyThreadState.thread_id (pthread_t) */
#define PY311_TSTATE_NATIVE_TID		160	/* PyThreadState.native_thread_id */
#define PY311_CFRAME_CURRENT		8	/* _PyCFrame.current_frame */
#define PY311_FRAME_CODE		32	/* _PyInterpreterFrame.f_code */
#define PY311_FRAME_PREVIOUS		48	/* _PyInterpreterFrame.previous */
#define PY311_FRAME_PREV_INSTR		56	/* _PyInterpreterFrame.prev_instr */
#define PY311_FRAME_IS_ENTRY		68	/* _PyInterpreterFrame.is_entry */
#define PY311_FRAME_OWNER		69	/* _PyInterpreterFrame.owner */
#define PY311_OBJECT_TYPE		8	/* PyObject.ob_type */
#define PY311_VAROBJECT_SIZE		16	/* PyVarObject.ob_size */
#define PY311_CODE_FIRSTLINENO		72	/* PyCodeObject.co_firstlineno */
#define PY311_CODE_FILENAME		112	/* PyCodeObject.co_filename */
#define PY311_CODE_NAME			120	/* PyCodeObject.co_name */
#define PY311_CODE_QUALNAME		128	/* PyCodeObject.co_qualname */
#define PY311_CODE_LINETABLE		136	/* PyCodeObject.co_linetable */
#define PY311_CODE_FIRSTTRACEABLE	168	/* PyCodeObject._co_firsttraceable */
#define PY311_CODE_ADAPTIVE		184	/* PyCodeObject.co_code_adaptive */
#define PY311_BYTES_DATA		32	/* PyBytesObject.ob_sval */
#define PY311_STR_LENGTH		16	/* PyASCIIObject.length */
#define PY311_STR_STATE			32	/* PyASCIIObject.state */
#define PY311_STR_ASCII_DATA		48	/* sizeof(PyASCIIObject) */
#define PY311_STR_COMPACT_DATA		72	/* sizeof(PyCompactUnicodeObject) */
/* Objects read by thread names and `pinch dump --locals` (pyobjects.c). */
#define PY311_RUNTIME_GIL_LOCKED	376	/* _PyRuntimeState.ceval.gil.locked */
#define PY311_RUNTIME_GIL_LAST_HOLDER	368	/* _PyRuntimeState.ceval.gil.last_holder */
#define PY311_INTERP_MODULES		888	/* PyInterpreterState.modules (sys.modules) */
#define PY311_TYPE_NAME			24	/* PyTypeObject.tp_name (char *) */
#define PY311_TYPE_FLAGS		168	/* PyTypeObject.tp_flags */
#define PY311_TYPE_DICTOFFSET		288	/* PyTypeObject.tp_dictoffset */
#define PY311_HEAPTYPE_CACHED_KEYS	872	/* PyHeapTypeObject.ht_cached_keys */
#define PY311_DICT_USED			16	/* PyDictObject.ma_used */
#define PY311_DICT_KEYS			32	/* PyDictObject.ma_keys */
#define PY311_DICT_VALUES		40	/* PyDictObject.ma_values */
#define PY311_DICTKEYS_LOG2_SIZE	8	/* PyDictKeysObject.dk_log2_size */
#define PY311_DICTKEYS_LOG2_INDEX_BYTES	9	/* PyDictKeysObject.dk_log2_index_bytes */
#define PY311_DICTKEYS_KIND		10	/* PyDictKeysObject.dk_kind */
#define PY311_DICTKEYS_NENTRIES		24	/* PyDictKeysObject.dk_nentries */
#define PY311_DICTKEYS_INDICES		32	/* PyDictKeysObject.dk_indices */
#define PY311_DICT_ENTRY_SIZE		24	/* sizeof(PyDictKeyEntry): hash, key, value */
#define PY311_DICT_UENTRY_SIZE		16	/* sizeof(PyDictUnicodeEntry): key, value */
#define PY311_MODULE_DICT		16	/* PyModuleObject.md_dict */
#define PY311_LONG_DIGITS		24	/* PyLongObject.ob_digit (30-bit digits) */
#define PY311_FLOAT_VALUE		16	/* PyFloatObject.ob_fval */
#define PY311_TUPLE_ITEMS		24	/* PyTupleObject.ob_item */
#define PY311_LIST_ITEMS		24	/* PyListObject.ob_item (PyObject **) */
#define PY311_CELL_REF			16	/* PyCellObject.ob_ref */
#define PY311_FRAME_LOCALSPLUS		72	/* _PyInterpreterFrame.localsplus */
#define PY311_CODE_FLAGS		48	/* PyCodeObject.co_flags */
#define PY311_CODE_ARGCOUNT		56	/* PyCodeObject.co_argcount */
#define PY311_CODE_KWONLYARGCOUNT	64	/* PyCodeObject.co_kwonlyargcount */
#define PY311_CODE_NLOCALSPLUS		76	/* PyCodeObject.co_nlocalsplus */
#define PY311_CODE_LOCALSPLUSNAMES	96	/* PyCodeObject.co_localsplusnames */
#define PY311_CODE_LOCALSPLUSKINDS	104	/* PyCodeObject.co_localspluskinds */

struct py_offsets {
	uint32_t major_minor;		/* 0x030b for 3.11 */
	const char *name;		/* "3.11" */
	uint16_t runtime_interp_head, runtime_gil_tstate;
	uint16_t interp_next, interp_threads_head;
	uint16_t tstate_next, tstate_cframe, tstate_thread_id, tstate_native_tid;
	uint16_t cframe_current;
	uint16_t frame_code, frame_previous, frame_prev_instr, frame_is_entry, frame_owner;
	uint16_t frame_size;		/* bytes to read per frame */
	uint16_t object_type, varobject_size;
	uint16_t code_firstlineno, code_filename, code_name, code_qualname, code_linetable;
	uint16_t code_firsttraceable, code_adaptive;
	uint16_t code_size;		/* bytes to read per code object */
	uint16_t bytes_data;
	uint16_t str_length, str_state, str_ascii_data, str_compact_data;
	uint8_t frame_owner_generator;	/* owner value of generator/coroutine frames */
	/* objects (pyobjects.c) */
	uint16_t runtime_gil_locked, runtime_gil_last_holder, interp_modules;
	uint16_t type_name, type_flags, type_dictoffset, heaptype_cached_keys;
	uint16_t dict_used, dict_keys, dict_values;
	uint16_t dictkeys_log2_size, dictkeys_log2_index_bytes, dictkeys_kind;
	uint16_t dictkeys_nentries, dictkeys_indices, dict_entry_size, dict_uentry_size;
	uint16_t module_dict, long_digits, float_value, tuple_items, list_items, cell_ref;
	uint16_t frame_localsplus;
	uint16_t code_flags, code_argcount, code_kwonlyargcount, code_nlocalsplus;
	uint16_t code_localsplusnames, code_localspluskinds;
	uint64_t type_managed_dict;	/* Py_TPFLAGS_MANAGED_DICT: dict pointer at obj - 3 words */
};

/* The table for a PY_VERSION_HEX (e.g. 0x030b07f0), or NULL when pinch
 * cannot read that version. */
const struct py_offsets *py_offsets_find(uint32_t version_hex);
/* "3.11" (comma-separated list of readable versions) for messages. */
const char *py_offsets_supported(void);

#endif
