/*
 * t-pyoffsets.c - asserts pinch's CPython 3.11 layout table against the
 * interpreter's own headers: compiled with -DPy_BUILD_CORE and the
 * internal/ headers, every PY311_* constant is checked with offsetof() at
 * build time (a mismatch fails the build), and the runtime table that
 * py_offsets_find() returns is checked against the constants.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <internal/pycore_dict.h>
#include <internal/pycore_moduleobject.h>
#include <stddef.h>

#include "collect/python/pyoffsets.h"
#include "tap.h"
#include "core/banned.h"

#if PY_VERSION_HEX >> 16 != 0x030b
#error "t-pyoffsets checks the 3.11 table: build it against 3.11 headers"
#endif

#define CHECK(m, type, field) \
	_Static_assert(m == offsetof(type, field), #m " != offsetof(" #type ", " #field ")")

CHECK(PY311_RUNTIME_INTERP_HEAD, _PyRuntimeState, interpreters.head);
CHECK(PY311_RUNTIME_GIL_TSTATE, _PyRuntimeState, gilstate.tstate_current);
CHECK(PY311_INTERP_NEXT, PyInterpreterState, next);
CHECK(PY311_INTERP_THREADS_HEAD, PyInterpreterState, threads.head);
CHECK(PY311_TSTATE_NEXT, PyThreadState, next);
CHECK(PY311_TSTATE_CFRAME, PyThreadState, cframe);
CHECK(PY311_TSTATE_THREAD_ID, PyThreadState, thread_id);
CHECK(PY311_TSTATE_NATIVE_TID, PyThreadState, native_thread_id);
CHECK(PY311_CFRAME_CURRENT, _PyCFrame, current_frame);
CHECK(PY311_FRAME_CODE, _PyInterpreterFrame, f_code);
CHECK(PY311_FRAME_PREVIOUS, _PyInterpreterFrame, previous);
CHECK(PY311_FRAME_PREV_INSTR, _PyInterpreterFrame, prev_instr);
CHECK(PY311_FRAME_IS_ENTRY, _PyInterpreterFrame, is_entry);
CHECK(PY311_FRAME_OWNER, _PyInterpreterFrame, owner);
CHECK(PY311_OBJECT_TYPE, PyObject, ob_type);
CHECK(PY311_VAROBJECT_SIZE, PyVarObject, ob_size);
CHECK(PY311_CODE_FIRSTLINENO, PyCodeObject, co_firstlineno);
CHECK(PY311_CODE_FILENAME, PyCodeObject, co_filename);
CHECK(PY311_CODE_NAME, PyCodeObject, co_name);
CHECK(PY311_CODE_QUALNAME, PyCodeObject, co_qualname);
CHECK(PY311_CODE_LINETABLE, PyCodeObject, co_linetable);
CHECK(PY311_CODE_FIRSTTRACEABLE, PyCodeObject, _co_firsttraceable);
CHECK(PY311_CODE_ADAPTIVE, PyCodeObject, co_code_adaptive);
CHECK(PY311_BYTES_DATA, PyBytesObject, ob_sval);
CHECK(PY311_STR_LENGTH, PyASCIIObject, length);
CHECK(PY311_STR_STATE, PyASCIIObject, state);
_Static_assert(PY311_STR_ASCII_DATA == sizeof(PyASCIIObject), "ascii data");
_Static_assert(PY311_STR_COMPACT_DATA == sizeof(PyCompactUnicodeObject), "compact data");
_Static_assert(PY311_FRAME_OWNER < 72, "frame read covers owner");
CHECK(PY311_RUNTIME_GIL_LOCKED, _PyRuntimeState, ceval.gil.locked);
CHECK(PY311_RUNTIME_GIL_LAST_HOLDER, _PyRuntimeState, ceval.gil.last_holder);
CHECK(PY311_INTERP_MODULES, PyInterpreterState, modules);
CHECK(PY311_TYPE_NAME, PyTypeObject, tp_name);
CHECK(PY311_TYPE_FLAGS, PyTypeObject, tp_flags);
CHECK(PY311_TYPE_DICTOFFSET, PyTypeObject, tp_dictoffset);
CHECK(PY311_HEAPTYPE_CACHED_KEYS, PyHeapTypeObject, ht_cached_keys);
CHECK(PY311_DICT_USED, PyDictObject, ma_used);
CHECK(PY311_DICT_KEYS, PyDictObject, ma_keys);
CHECK(PY311_DICT_VALUES, PyDictObject, ma_values);
CHECK(PY311_DICTKEYS_LOG2_SIZE, PyDictKeysObject, dk_log2_size);
CHECK(PY311_DICTKEYS_LOG2_INDEX_BYTES, PyDictKeysObject, dk_log2_index_bytes);
CHECK(PY311_DICTKEYS_KIND, PyDictKeysObject, dk_kind);
CHECK(PY311_DICTKEYS_NENTRIES, PyDictKeysObject, dk_nentries);
CHECK(PY311_DICTKEYS_INDICES, PyDictKeysObject, dk_indices);
_Static_assert(PY311_DICT_ENTRY_SIZE == sizeof(PyDictKeyEntry), "dict entry");
_Static_assert(PY311_DICT_UENTRY_SIZE == sizeof(PyDictUnicodeEntry), "unicode dict entry");
CHECK(PY311_MODULE_DICT, PyModuleObject, md_dict);
CHECK(PY311_LONG_DIGITS, PyLongObject, ob_digit);
CHECK(PY311_FLOAT_VALUE, PyFloatObject, ob_fval);
CHECK(PY311_TUPLE_ITEMS, PyTupleObject, ob_item);
CHECK(PY311_LIST_ITEMS, PyListObject, ob_item);
CHECK(PY311_CELL_REF, PyCellObject, ob_ref);
CHECK(PY311_FRAME_LOCALSPLUS, _PyInterpreterFrame, localsplus);
CHECK(PY311_CODE_FLAGS, PyCodeObject, co_flags);
CHECK(PY311_CODE_ARGCOUNT, PyCodeObject, co_argcount);
CHECK(PY311_CODE_KWONLYARGCOUNT, PyCodeObject, co_kwonlyargcount);
CHECK(PY311_CODE_NLOCALSPLUS, PyCodeObject, co_nlocalsplus);
CHECK(PY311_CODE_LOCALSPLUSNAMES, PyCodeObject, co_localsplusnames);
CHECK(PY311_CODE_LOCALSPLUSKINDS, PyCodeObject, co_localspluskinds);
_Static_assert(Py_TPFLAGS_MANAGED_DICT == 1u << 4, "managed dict flag");
_Static_assert(PyLong_SHIFT == 30, "30-bit digits");
_Static_assert(FRAME_OWNED_BY_GENERATOR == 1, "generator owner value");

int main(void)
{
	const struct py_offsets *o = py_offsets_find(PY_VERSION_HEX);

	printf("# headers of %s\n", PY_VERSION);
	if (!ok(o != NULL, "a table for %s", PY_VERSION))
		return done_testing();
	is_uint(o->runtime_interp_head, offsetof(_PyRuntimeState, interpreters.head), "interpreters.head");
	is_uint(o->runtime_gil_tstate, offsetof(_PyRuntimeState, gilstate.tstate_current), "gilstate.tstate_current");
	is_uint(o->interp_threads_head, offsetof(PyInterpreterState, threads.head), "threads.head");
	is_uint(o->interp_next, offsetof(PyInterpreterState, next), "interp next");
	is_uint(o->tstate_next, offsetof(PyThreadState, next), "tstate next");
	is_uint(o->tstate_cframe, offsetof(PyThreadState, cframe), "cframe");
	is_uint(o->tstate_native_tid, offsetof(PyThreadState, native_thread_id), "native_thread_id");
	is_uint(o->cframe_current, offsetof(_PyCFrame, current_frame), "current_frame");
	is_uint(o->frame_code, offsetof(_PyInterpreterFrame, f_code), "f_code");
	is_uint(o->frame_previous, offsetof(_PyInterpreterFrame, previous), "previous");
	is_uint(o->frame_prev_instr, offsetof(_PyInterpreterFrame, prev_instr), "prev_instr");
	is_uint(o->frame_is_entry, offsetof(_PyInterpreterFrame, is_entry), "is_entry");
	is_uint(o->frame_owner, offsetof(_PyInterpreterFrame, owner), "owner");
	ok(o->frame_size > o->frame_owner && o->frame_size <= sizeof(_PyInterpreterFrame), "frame read size");
	is_uint(o->code_firstlineno, offsetof(PyCodeObject, co_firstlineno), "co_firstlineno");
	is_uint(o->code_filename, offsetof(PyCodeObject, co_filename), "co_filename");
	is_uint(o->code_qualname, offsetof(PyCodeObject, co_qualname), "co_qualname");
	is_uint(o->code_linetable, offsetof(PyCodeObject, co_linetable), "co_linetable");
	is_uint(o->code_firsttraceable, offsetof(PyCodeObject, _co_firsttraceable), "_co_firsttraceable");
	is_uint(o->code_adaptive, offsetof(PyCodeObject, co_code_adaptive), "co_code_adaptive");
	is_uint(o->bytes_data, offsetof(PyBytesObject, ob_sval), "ob_sval");
	is_uint(o->str_ascii_data, sizeof(PyASCIIObject), "ascii data");
	is_uint(o->str_compact_data, sizeof(PyCompactUnicodeObject), "compact data");
	ok(py_offsets_find(0x030c00f0) == NULL, "3.12 not claimed yet");
	ok(py_offsets_find(0x030a00f0) == NULL, "3.10 not claimed");
	return done_testing();
}
