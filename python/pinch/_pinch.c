/*
 * _pinch.c - the CPython extension module under the `pinch` package:
 * libpinch's metrics, spans, performance log, endpoint and benchmark
 * harness for Python. Written against the limited API of 3.11 (the stable
 * ABI), so one build serves every CPython 3.11 on the machine.
 *
 * Hot paths (increment, set_gauge, record_timing, timer enter/exit) are a
 * dict lookup of the metric name (str hashes are cached in the object, so
 * a literal name costs one probe) to a cached libpinch handle and one
 * lock-free libpinch update; nothing is allocated but the timer object.
 * Labelled calls build one key tuple per call. The registry itself, the
 * /metrics text and the HTTP thread are libpinch's and never need the GIL.
 */
#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x030B0000
#include <Python.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pinch/pinch.h>

enum kind { K_COUNTER, K_GAUGE, K_TIMING, K_NKINDS };

static const char *const kind_name[K_NKINDS] = { "counter", "gauge", "timing" };
/* HELP text of the families made here (promtool wants one). */
static const char *const kind_help[K_NKINDS] = {
	"Counter from pinch.metrics.increment().",
	"Gauge from pinch.metrics.set_gauge().",
	"Timing in seconds from pinch.metrics.record_timing() / timer().",
};

/* A cached libpinch handle (counter, gauge or histogram). */
typedef struct {
	PyObject_HEAD
	void *h;
} Handle;

/* with metrics.timer(name): */
typedef struct {
	PyObject_HEAD
	struct pinch_histogram *h;
	uint64_t t0;
	PyObject *name, *labels;	/* for the decorator */
} Timer;

typedef struct {
	PyObject_HEAD
	struct pinch_server *s;
	int port;
} Server;

static PyTypeObject *HandleType, *TimerType, *ServerType;

/* name -> Handle, per kind; (name, k1, v1, ...) -> Handle for labelled
 * series; name -> int, the labelled series cached per family. */
static PyObject *cache[K_NKINDS], *lcache[K_NKINDS], *lcount[K_NKINDS];
static Py_ssize_t series_limit = 10000;
static PyObject *decorate_hook;		/* pinch._timer_decorate */
static struct pinch_log *perf_log;

/* ---- errors ---- */

/* Raises the Python exception for a libpinch error code. */
static PyObject *raise_pinch(int rc, const char *what)
{
	const char *msg = pinch_last_error();

	if (!msg || !*msg)
		msg = pinch_strerror(rc);
	switch (-rc) {
	case ENOMEM:
		return PyErr_NoMemory();
	case EINVAL:
	case EEXIST:
	case ENOENT:
		PyErr_Format(PyExc_ValueError, "%s: %s", what, msg);
		return NULL;
	default: {
		PyObject *args = Py_BuildValue("(is)", -rc, msg);

		if (args) {
			PyErr_SetObject(PyExc_OSError, args);
			Py_DECREF(args);
		}
		return NULL;
	}
	}
}

/* The same for system calls (files, sockets): every errno but EINVAL and
 * ENOMEM is an OSError (FileNotFoundError, PermissionError, ... by errno). */
static PyObject *raise_os(int rc, const char *what)
{
	const char *msg = pinch_last_error();
	PyObject *args;

	if (rc == -ENOMEM || rc == -EINVAL)
		return raise_pinch(rc, what);
	if (!msg || !*msg)
		msg = pinch_strerror(rc);
	args = Py_BuildValue("(is)", -rc, msg);
	if (args) {
		PyErr_SetObject(PyExc_OSError, args);
		Py_DECREF(args);
	}
	return NULL;
}

static PyObject *type_error(const char *what, const char *expected, PyObject *got)
{
	PyObject *tn = PyType_GetName(Py_TYPE(got));

	if (tn) {
		PyErr_Format(PyExc_TypeError, "%s must be %s, not %U", what, expected, tn);
		Py_DECREF(tn);
	}
	return NULL;
}

/* UTF-8 of a str without NUL bytes; NULL with an exception otherwise. */
static const char *utf8(PyObject *s, const char *what)
{
	Py_ssize_t n;
	const char *p;

	if (!PyUnicode_Check(s))
		return type_error(what, "str", s), NULL;
	p = PyUnicode_AsUTF8AndSize(s, &n);
	if (p && (size_t)n != strlen(p)) {
		PyErr_Format(PyExc_ValueError, "%s contains a NUL character", what);
		return NULL;
	}
	return p;
}

/* ---- argument parsing for METH_FASTCALL | METH_KEYWORDS ---- */

/* Fills out[i] (borrowed) from positional args and keywords by names;
 * missing ones stay NULL. Returns -1 with TypeError on unknown or doubled
 * arguments or too many positionals. */
static inline int parse(const char *fn, const char *const *names, int n, int required,
			PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **out)
{
	Py_ssize_t i, nkw;
	int j;

	if (!kwnames && nargs >= required && nargs <= n) {	/* the hot path */
		for (j = 0; j < n; j++)
			out[j] = j < nargs ? args[j] : NULL;
		return 0;
	}
	nkw = kwnames ? PyTuple_Size(kwnames) : 0;
	for (j = 0; j < n; j++)
		out[j] = NULL;
	if (nargs > n) {
		PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%zd given)", fn, n, nargs);
		return -1;
	}
	for (i = 0; i < nargs; i++)
		out[i] = args[i];
	for (i = 0; i < nkw; i++) {
		PyObject *k = PyTuple_GetItem(kwnames, i);
		const char *ks = PyUnicode_AsUTF8AndSize(k, NULL);

		if (!ks)
			return -1;
		for (j = 0; j < n; j++)
			if (!strcmp(ks, names[j]))
				break;
		if (j == n) {
			PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", fn, ks);
			return -1;
		}
		if (out[j]) {
			PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fn, ks);
			return -1;
		}
		out[j] = args[nargs + i];
	}
	for (j = 0; j < required; j++)
		if (!out[j]) {
			PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fn, names[j]);
			return -1;
		}
	return 0;
}

/* ---- handles ---- */

static void *new_series(enum kind k, const char *name, const char *const *labels)
{
	void *h = NULL;
	int rc;

	switch (k) {
	case K_COUNTER:
		rc = pinch_counter_get(NULL, name, kind_help[k], labels, (struct pinch_counter **)&h);
		break;
	case K_GAUGE:
		rc = pinch_gauge_get(NULL, name, kind_help[k], labels, (struct pinch_gauge **)&h);
		break;
	default:
		rc = pinch_histogram_get(NULL, name, kind_help[k], labels, NULL, (struct pinch_histogram **)&h);
		break;
	}
	if (rc < 0) {
		char what[64];

		snprintf(what, sizeof(what), "%s", kind_name[k]);
		raise_pinch(rc, what);
		return NULL;
	}
	return h;
}

static PyObject *new_handle(void *h)
{
	Handle *o = PyObject_New(Handle, HandleType);

	if (o)
		o->h = h;
	return (PyObject *)o;
}

/* The handle of a series without labels: one dict probe when cached. */
static void *handle_plain(enum kind k, PyObject *name)
{
	PyObject *o = PyDict_GetItemWithError(cache[k], name);
	const char *s;
	void *h;

	if (o)
		return ((Handle *)o)->h;
	if (PyErr_Occurred())
		return NULL;
	s = utf8(name, "metric name");
	if (!s)
		return NULL;
	h = new_series(k, s, NULL);
	if (!h)
		return NULL;
	o = new_handle(h);
	if (!o || PyDict_SetItem(cache[k], name, o) < 0) {
		Py_XDECREF(o);
		return NULL;
	}
	Py_DECREF(o);
	return h;
}

/* The handle of name{labels}: labels a dict of str to str; the cache key
 * is (name, k1, v1, k2, v2, ...) with the label names sorted. Past the
 * series limit of a family, label sets are not cached (libpinch hands out
 * the overflow series), so the cache stays bounded too. */
static void *handle_labels(enum kind k, PyObject *name, PyObject *labels)
{
	PyObject *keys = NULL, *key = NULL, *o, *cnt;
	Py_ssize_t i, n;
	const char **arr = NULL;
	void *h = NULL;

	if (!PyDict_Check(labels))
		return type_error("labels", "a dict of str to str", labels), NULL;
	n = PyDict_Size(labels);
	if (n == 0)
		return handle_plain(k, name);
	if (!PyUnicode_Check(name))
		return type_error("metric name", "str", name), NULL;
	keys = PyDict_Keys(labels);
	if (!keys)
		return NULL;
	for (i = 0; i < n; i++)
		if (!PyUnicode_Check(PyList_GetItem(keys, i))) {
			type_error("label names", "str", PyList_GetItem(keys, i));
			goto out;
		}
	if (n > 1 && PyList_Sort(keys) < 0)
		goto out;
	key = PyTuple_New(1 + 2 * n);
	if (!key)
		goto out;
	Py_INCREF(name);
	PyTuple_SetItem(key, 0, name);
	for (i = 0; i < n; i++) {
		PyObject *kn = PyList_GetItem(keys, i), *v = PyDict_GetItemWithError(labels, kn);

		if (!v)
			goto out;
		if (!PyUnicode_Check(v)) {
			type_error("label values", "str", v);
			goto out;
		}
		Py_INCREF(kn);
		PyTuple_SetItem(key, 1 + 2 * i, kn);
		Py_INCREF(v);
		PyTuple_SetItem(key, 2 + 2 * i, v);
	}
	o = PyDict_GetItemWithError(lcache[k], key);
	if (o) {
		h = ((Handle *)o)->h;
		goto out;
	}
	if (PyErr_Occurred())
		goto out;
	arr = PyMem_Calloc(2 * n + 1, sizeof(*arr));
	if (!arr) {
		PyErr_NoMemory();
		goto out;
	}
	for (i = 0; i < 2 * n; i++) {
		arr[i] = utf8(PyTuple_GetItem(key, 1 + i), i % 2 ? "label value" : "label name");
		if (!arr[i])
			goto out;
	}
	{
		const char *s = utf8(name, "metric name");

		if (!s)
			goto out;
		h = new_series(k, s, arr);
	}
	if (!h)
		goto out;
	cnt = PyDict_GetItemWithError(lcount[k], name);
	if (!cnt && PyErr_Occurred()) {
		h = NULL;
		goto out;
	}
	i = cnt ? PyLong_AsSsize_t(cnt) : 0;
	if (i < series_limit) {
		PyObject *c = PyLong_FromSsize_t(i + 1);

		o = new_handle(h);
		if (!c || !o || PyDict_SetItem(lcache[k], key, o) < 0 ||
		    PyDict_SetItem(lcount[k], name, c) < 0)
			h = NULL;
		Py_XDECREF(c);
		Py_XDECREF(o);
	}
out:
	PyMem_Free(arr);
	Py_XDECREF(key);
	Py_XDECREF(keys);
	return h;
}

static inline void *handle(enum kind k, PyObject *name, PyObject *labels)
{
	if (labels && labels != Py_None)
		return handle_labels(k, name, labels);
	if (!PyUnicode_Check(name))
		return type_error("metric name", "str", name), NULL;
	return handle_plain(k, name);
}

static int get_double(PyObject *o, const char *what, double *v)
{
	if (!PyFloat_Check(o) && !PyLong_Check(o))
		return type_error(what, "int or float", o), -1;
	*v = PyFloat_AsDouble(o);
	if (*v == -1.0 && PyErr_Occurred())
		return -1;
	return 0;
}

/* ---- pinch.metrics ---- */

static const char *const inc_kw[] = { "name", "value", "labels" };

static PyObject *py_increment(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[3];
	unsigned long long n = 1;
	void *h;

	(void)mod;
	if (parse("increment", inc_kw, 3, 1, args, nargs, kwnames, a) < 0)
		return NULL;
	if (a[1]) {
		if (!PyLong_Check(a[1]))
			return type_error("counter increment", "an int >= 0", a[1]);
		n = PyLong_AsUnsignedLongLong(a[1]);
		if (n == (unsigned long long)-1 && PyErr_Occurred()) {
			PyErr_Clear();
			PyErr_SetString(PyExc_ValueError, "counter increment must be an int >= 0 (counters only go up)");
			return NULL;
		}
	}
	h = handle(K_COUNTER, a[0], a[2]);
	if (!h)
		return NULL;
	pinch_counter_add(h, n);
	Py_RETURN_NONE;
}

static const char *const gauge_kw[] = { "name", "value", "labels" };

static PyObject *py_set_gauge(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[3];
	double v;
	void *h;

	(void)mod;
	if (parse("set_gauge", gauge_kw, 3, 2, args, nargs, kwnames, a) < 0)
		return NULL;
	if (get_double(a[1], "gauge value", &v) < 0)
		return NULL;
	h = handle(K_GAUGE, a[0], a[2]);
	if (!h)
		return NULL;
	pinch_gauge_set(h, v);
	Py_RETURN_NONE;
}

static const char *const timing_kw[] = { "name", "seconds", "labels" };

static PyObject *py_record_timing(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[3];
	double v;
	void *h;

	(void)mod;
	if (parse("record_timing", timing_kw, 3, 2, args, nargs, kwnames, a) < 0)
		return NULL;
	if (get_double(a[1], "seconds", &v) < 0)
		return NULL;
	if (!(v >= 0) || v > 1e9) {
		PyErr_Format(PyExc_ValueError, "seconds must be >= 0 and finite, not %R", a[1]);
		return NULL;
	}
	h = handle(K_TIMING, a[0], a[2]);
	if (!h)
		return NULL;
	pinch_histogram_observe(h, v);
	Py_RETURN_NONE;
}

static const char *const timer_kw[] = { "name", "labels" };

static PyObject *py_timer(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[2];
	Timer *t;
	void *h;

	(void)mod;
	if (parse("timer", timer_kw, 2, 1, args, nargs, kwnames, a) < 0)
		return NULL;
	h = handle(K_TIMING, a[0], a[1]);
	if (!h)
		return NULL;
	t = PyObject_New(Timer, TimerType);
	if (!t)
		return NULL;
	t->h = h;
	t->t0 = 0;
	Py_INCREF(a[0]);
	t->name = a[0];
	t->labels = a[1] && a[1] != Py_None ? a[1] : NULL;
	Py_XINCREF(t->labels);
	return (PyObject *)t;
}

static void timer_dealloc(PyObject *o)
{
	Timer *t = (Timer *)o;
	PyTypeObject *tp = Py_TYPE(o);

	Py_XDECREF(t->name);
	Py_XDECREF(t->labels);
	PyObject_Free(o);
	Py_DECREF(tp);
}

static PyObject *timer_enter(PyObject *o, PyObject *unused)
{
	(void)unused;
	((Timer *)o)->t0 = pinch_now_ns();
	Py_INCREF(o);
	return o;
}

static PyObject *timer_exit(PyObject *o, PyObject *const *args, Py_ssize_t nargs)
{
	Timer *t = (Timer *)o;

	(void)args;
	(void)nargs;
	if (t->t0) {
		pinch_histogram_observe_ns(t->h, pinch_now_ns() - t->t0);
		t->t0 = 0;
	}
	Py_RETURN_FALSE;
}

/* @metrics.timer("name"): pinch/__init__.py's wrapper (sync or async). */
static PyObject *timer_call(PyObject *o, PyObject *args, PyObject *kw)
{
	Timer *t = (Timer *)o;

	if (kw || PyTuple_Size(args) != 1 || !PyCallable_Check(PyTuple_GetItem(args, 0))) {
		PyErr_SetString(PyExc_TypeError, "timer(...) decorates one callable: @metrics.timer(\"name\")");
		return NULL;
	}
	if (!decorate_hook) {
		PyErr_SetString(PyExc_RuntimeError, "pinch._pinch used without the pinch package");
		return NULL;
	}
	return PyObject_CallFunction(decorate_hook, "OOO", t->name, t->labels ? t->labels : Py_None,
				     PyTuple_GetItem(args, 0));
}

static PyMethodDef timer_methods[] = {
	{ "__enter__", timer_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)(void (*)(void))timer_exit, METH_FASTCALL, NULL },
	{ NULL, NULL, 0, NULL },
};

static PyType_Slot timer_slots[] = {
	{ Py_tp_dealloc, timer_dealloc },
	{ Py_tp_methods, timer_methods },
	{ Py_tp_call, timer_call },
	{ Py_tp_doc, "A running timer: a context manager that records the time "
		     "from __enter__ to __exit__ in a timing, or a decorator." },
	{ 0, NULL },
};

static PyType_Spec timer_spec = {
	"pinch._pinch.Timer", sizeof(Timer), 0, Py_TPFLAGS_DEFAULT, timer_slots,
};

static void handle_dealloc(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);

	PyObject_Free(o);
	Py_DECREF(tp);
}

static PyType_Slot handle_slots[] = {
	{ Py_tp_dealloc, handle_dealloc },
	{ 0, NULL },
};

static PyType_Spec handle_spec = {
	"pinch._pinch.Handle", sizeof(Handle), 0, Py_TPFLAGS_DEFAULT, handle_slots,
};

static PyObject *py_set_series_limit(PyObject *mod, PyObject *arg)
{
	Py_ssize_t n;
	int rc;

	(void)mod;
	if (!PyLong_Check(arg) || PyBool_Check(arg))
		return type_error("series limit", "an int", arg);
	n = PyLong_AsSsize_t(arg);
	if (n == -1 && PyErr_Occurred())
		return NULL;
	if (n < 1) {
		PyErr_SetString(PyExc_ValueError, "series limit must be >= 1");
		return NULL;
	}
	rc = pinch_registry_set_series_limit(NULL, (size_t)n);
	if (rc < 0)
		return raise_pinch(rc, "series limit");
	series_limit = n;
	Py_RETURN_NONE;
}

/* The default registry in libpinch's JSON ({"metrics":[...]}). */
static PyObject *py_registry_json(PyObject *mod, PyObject *unused)
{
	char *out = NULL;
	size_t len = 0;
	PyObject *r;
	int rc;

	(void)mod;
	(void)unused;
	rc = pinch_registry_format(NULL, PINCH_FORMAT_JSON, &out, &len);
	if (rc < 0)
		return raise_pinch(rc, "registry");
	r = PyUnicode_FromStringAndSize(out, (Py_ssize_t)len);
	pinch_free(out);
	return r;
}

/* page(path, accept=None) -> (status, content_type, body bytes) */
static PyObject *py_page(PyObject *mod, PyObject *args)
{
	const char *path, *accept = NULL, *type = NULL;
	char *body = NULL;
	size_t len = 0;
	PyObject *r;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "s|z:page", &path, &accept))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = pinch_serve_page(NULL, path, accept, &body, &len, &type);
	Py_END_ALLOW_THREADS
	if (rc < 0)
		return raise_pinch(rc, "page");
	r = Py_BuildValue("(isy#)", rc, type, body, (Py_ssize_t)len);
	pinch_free(body);
	return r;
}

/* ---- spans ---- */

static PyObject *py_span_begin(PyObject *mod, PyObject *args)
{
	const char *name;
	unsigned long long parent = 0;
	uint64_t id;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "s|K:span_begin", &name, &parent))
		return NULL;
	rc = pinch_span_begin(name, parent, &id);
	if (rc < 0)
		return raise_pinch(rc, "span");
	return PyLong_FromUnsignedLongLong(id);
}

static PyObject *py_span_end(PyObject *mod, PyObject *arg)
{
	unsigned long long id = PyLong_AsUnsignedLongLong(arg);
	int rc;

	(void)mod;
	if (id == (unsigned long long)-1 && PyErr_Occurred())
		return NULL;
	rc = pinch_span_end(id);
	if (rc < 0)
		return raise_pinch(rc, "span");
	Py_RETURN_NONE;
}

static PyObject *py_span_status(PyObject *mod, PyObject *args)
{
	unsigned long long id;
	int err;
	const char *msg = NULL;

	(void)mod;
	if (!PyArg_ParseTuple(args, "Kp|z:span_status", &id, &err, &msg))
		return NULL;
	pinch_span_set_status(id, err, msg);
	Py_RETURN_NONE;
}

/* The spans table of pinch_spans_report(), as a str. */
static PyObject *py_spans_report(PyObject *mod, PyObject *unused)
{
	int fd = memfd_create("pinch-spans", MFD_CLOEXEC), rc;
	PyObject *r = NULL;
	char *buf;
	off_t n;

	(void)mod;
	(void)unused;
	if (fd < 0)
		return PyErr_SetFromErrno(PyExc_OSError);
	rc = pinch_spans_report(fd);
	if (rc < 0) {
		close(fd);
		return raise_pinch(rc, "spans report");
	}
	n = lseek(fd, 0, SEEK_END);
	buf = PyMem_Malloc(n > 0 ? (size_t)n : 1);
	if (!buf) {
		close(fd);
		return PyErr_NoMemory();
	}
	if (n > 0 && pread(fd, buf, (size_t)n, 0) != n) {
		PyErr_SetFromErrno(PyExc_OSError);
	} else {
		r = PyUnicode_DecodeUTF8(buf, n > 0 ? n : 0, "replace");
	}
	PyMem_Free(buf);
	close(fd);
	return r;
}

static PyObject *py_now_ns(PyObject *mod, PyObject *unused)
{
	(void)mod;
	(void)unused;
	return PyLong_FromUnsignedLongLong(pinch_now_ns());
}

/* ---- performance log ---- */

/* log_open(fd_or_path, slow_ms=0): replaces the log lines' destination. */
static PyObject *py_log_open(PyObject *mod, PyObject *args)
{
	PyObject *target;
	double slow_ms = 0;
	struct pinch_log_opts o;
	struct pinch_log *l = NULL;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "O|d:log_open", &target, &slow_ms))
		return NULL;
	o.slow_ms = slow_ms;
	if (PyLong_Check(target)) {
		int fd = (int)PyLong_AsLong(target);

		if (fd == -1 && PyErr_Occurred())
			return NULL;
		rc = pinch_log_open_fd(fd, &o, &l);
	} else if (PyUnicode_Check(target)) {
		const char *p = utf8(target, "log path");

		if (!p)
			return NULL;
		rc = pinch_log_open_file(p, &o, &l);
	} else {
		return type_error("performance log target", "a file descriptor (int) or a path (str)", target);
	}
	if (rc < 0)
		return raise_os(rc, "performance log");
	pinch_log_close(perf_log);	/* the GIL serializes log_call and this */
	perf_log = l;
	Py_RETURN_NONE;
}

/* log_call(function, duration_ns, error=None, fields=None): one line;
 * error not None means function_failed. Returns True when written. */
static PyObject *py_log_call(PyObject *mod, PyObject *args)
{
	const char *fn, *err = NULL;
	unsigned long long ns;
	PyObject *fields = NULL;
	struct pinch_field *f = NULL;
	Py_ssize_t nf = 0, pos = 0, i = 0;
	PyObject *k, *v;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "sK|zO:log_call", &fn, &ns, &err, &fields))
		return NULL;
	if (!perf_log) {
		rc = pinch_log_open_fd(2, NULL, &perf_log);
		if (rc < 0)
			return raise_pinch(rc, "performance log");
	}
	if (fields && fields != Py_None) {
		if (!PyDict_Check(fields))
			return type_error("fields", "a dict", fields);
		nf = PyDict_Size(fields);
		f = PyMem_Calloc(nf ? nf : 1, sizeof(*f));
		if (!f)
			return PyErr_NoMemory();
		while (PyDict_Next(fields, &pos, &k, &v)) {
			f[i].key = utf8(k, "field name");
			if (!f[i].key)
				goto fail;
			if (PyBool_Check(v)) {
				f[i].type = PINCH_FIELD_BOOL;
				f[i].i = v == Py_True;
			} else if (PyLong_Check(v)) {
				f[i].type = PINCH_FIELD_INT;
				f[i].i = PyLong_AsLongLong(v);
				if (f[i].i == -1 && PyErr_Occurred())
					goto fail;
			} else if (PyFloat_Check(v)) {
				f[i].type = PINCH_FIELD_DOUBLE;
				f[i].d = PyFloat_AsDouble(v);
			} else if (PyUnicode_Check(v)) {
				f[i].type = PINCH_FIELD_STR;
				f[i].s = utf8(v, "field value");
				if (!f[i].s)
					goto fail;
			} else {
				type_error("field values", "str, int, float or bool", v);
				goto fail;
			}
			i++;
		}
	}
	Py_BEGIN_ALLOW_THREADS
	rc = pinch_log_call(perf_log, fn, ns, err ? -EIO : 0, err, f, (size_t)nf);
	Py_END_ALLOW_THREADS
	PyMem_Free(f);
	if (rc < 0)
		return raise_os(rc, "performance log");
	return PyBool_FromLong(rc > 0);
fail:
	PyMem_Free(f);
	return NULL;
}

/* ---- serve ---- */

static const char *const serve_kw[] = { "host", "port", "allow_remote" };

static PyObject *py_serve(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[3];
	const char *host = "127.0.0.1";
	long port = 9464;
	struct pinch_serve_opts o = { 0 };
	struct pinch_server *s = NULL;
	char addr[300];
	Server *srv;
	int rc;

	(void)mod;
	if (parse("serve", serve_kw, 3, 0, args, nargs, kwnames, a) < 0)
		return NULL;
	if (a[0] && !(host = utf8(a[0], "host")))
		return NULL;
	if (a[1]) {
		if (!PyLong_Check(a[1]) || PyBool_Check(a[1]))
			return type_error("port", "int", a[1]);
		port = PyLong_AsLong(a[1]);
		if (port == -1 && PyErr_Occurred())
			return NULL;
		if (port < 0 || port > 65535) {
			PyErr_Format(PyExc_ValueError, "port must be 0..65535, not %ld", port);
			return NULL;
		}
	}
	if (a[2]) {
		o.allow_remote = PyObject_IsTrue(a[2]);
		if (o.allow_remote < 0)
			return NULL;
	}
	if (strlen(host) > 256) {
		PyErr_SetString(PyExc_ValueError, "host is too long");
		return NULL;
	}
	snprintf(addr, sizeof(addr), strchr(host, ':') ? "[%s]:%ld" : "%s:%ld", host, port);
	Py_BEGIN_ALLOW_THREADS
	rc = pinch_serve_ex(addr, &o, &s);
	Py_END_ALLOW_THREADS
	if (rc == -EPERM) {
		PyErr_Format(PyExc_PermissionError, "serve: %s (pass allow_remote=True)", pinch_last_error());
		return NULL;
	}
	if (rc < 0)
		return raise_os(rc, "serve");
	srv = PyObject_New(Server, ServerType);
	if (!srv) {
		pinch_serve_stop(s);
		return NULL;
	}
	srv->s = s;
	srv->port = pinch_server_port(s);
	return (PyObject *)srv;
}

static PyObject *server_stop(PyObject *o, PyObject *unused)
{
	Server *srv = (Server *)o;
	struct pinch_server *s = srv->s;

	(void)unused;
	srv->s = NULL;
	if (s) {
		Py_BEGIN_ALLOW_THREADS
		pinch_serve_stop(s);
		Py_END_ALLOW_THREADS
	}
	Py_RETURN_NONE;
}

static PyObject *server_enter(PyObject *o, PyObject *unused)
{
	(void)unused;
	Py_INCREF(o);
	return o;
}

static PyObject *server_exit(PyObject *o, PyObject *const *args, Py_ssize_t nargs)
{
	PyObject *r;

	(void)args;
	(void)nargs;
	r = server_stop(o, NULL);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_FALSE;
}

static PyObject *server_get_port(PyObject *o, void *closure)
{
	(void)closure;
	return PyLong_FromLong(((Server *)o)->port);
}

static PyObject *server_get_running(PyObject *o, void *closure)
{
	(void)closure;
	return PyBool_FromLong(((Server *)o)->s != NULL);
}

/* Dropping the object does not stop the server: pinch.serve() is
 * usually called for its effect. */
static void server_dealloc(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);

	PyObject_Free(o);
	Py_DECREF(tp);
}

static PyMethodDef server_methods[] = {
	{ "stop", server_stop, METH_NOARGS, "Stops serving and closes the port (joins the HTTP thread)." },
	{ "__enter__", server_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)(void (*)(void))server_exit, METH_FASTCALL, NULL },
	{ NULL, NULL, 0, NULL },
};

static PyGetSetDef server_getset[] = {
	{ "port", server_get_port, NULL, "The TCP port served.", NULL },
	{ "running", server_get_running, NULL, "False after stop().", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyType_Slot server_slots[] = {
	{ Py_tp_dealloc, server_dealloc },
	{ Py_tp_methods, server_methods },
	{ Py_tp_getset, server_getset },
	{ Py_tp_doc, "The /health, /metrics, /metrics.json endpoint started by pinch.serve()." },
	{ 0, NULL },
};

static PyType_Spec server_spec = {
	"pinch._pinch.Server", sizeof(Server), 0, Py_TPFLAGS_DEFAULT, server_slots,
};

/* ---- bench ---- */

struct bench_call {
	PyObject *func, *args, *setup;
	int failed;		/* an exception is pending: stop calling */
};

static void bench_fn(void *arg)
{
	struct bench_call *b = arg;
	PyObject *r;

	if (b->failed)
		return;
	r = PyObject_Call(b->func, b->args, NULL);
	if (!r)
		b->failed = 1;
	Py_XDECREF(r);
}

static void bench_setup(void *arg)
{
	struct bench_call *b = arg;
	PyObject *r;

	if (b->failed)
		return;
	r = PyObject_CallNoArgs(b->setup);
	if (!r)
		b->failed = 1;
	Py_XDECREF(r);
}

static int set_num(PyObject *d, const char *k, PyObject *v)
{
	int rc;

	if (!v)
		return -1;
	rc = PyDict_SetItemString(d, k, v);
	Py_DECREF(v);
	return rc;
}

/* bench(name, func, args_tuple, rounds, iterations, warmup_rounds,
 *       min_rounds, min_time, max_time, setup) -> (stats dict, json str) */
static PyObject *py_bench(PyObject *mod, PyObject *args)
{
	const char *name;
	struct bench_call b = { 0 };
	unsigned long long rounds, iterations, warmup, min_rounds;
	double min_time, max_time;
	struct pinch_bench_opts o = { 0 };
	struct pinch_bench_result res;
	struct pinch_bench_stats *st = &res.stats;
	PyObject *d = NULL, *data = NULL, *r = NULL;
	char *json = NULL, outliers[64];
	uint64_t i;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "sOO!KKKKddO:bench", &name, &b.func, &PyTuple_Type, &b.args,
			      &rounds, &iterations, &warmup, &min_rounds, &min_time, &max_time, &b.setup))
		return NULL;
	if (!PyCallable_Check(b.func))
		return type_error("func", "callable", b.func);
	if (b.setup != Py_None && !PyCallable_Check(b.setup))
		return type_error("setup", "callable or None", b.setup);
	o.rounds = rounds;
	o.iterations = iterations;
	o.warmup_rounds = warmup;
	o.min_rounds = min_rounds;
	o.min_time = min_time;
	o.max_time = max_time;
	if (b.setup != Py_None)
		o.setup = bench_setup;
	else
		b.setup = NULL;
	rc = pinch_bench(name, bench_fn, &b, &o, &res);
	if (b.failed) {	/* the exception of func or setup */
		if (rc == 0)
			pinch_bench_result_release(&res);
		return NULL;
	}
	if (rc < 0)
		return raise_pinch(rc, "bench");
	d = PyDict_New();
	data = PyList_New((Py_ssize_t)st->rounds);
	if (!d || !data)
		goto out;
	for (i = 0; i < st->rounds; i++)
		PyList_SetItem(data, (Py_ssize_t)i, PyFloat_FromDouble(res.data[i]));
	snprintf(outliers, sizeof(outliers), "%llu;%llu", (unsigned long long)st->stddev_outliers,
		 (unsigned long long)st->iqr_outliers);
	if (set_num(d, "min", PyFloat_FromDouble(st->min)) < 0 ||
	    set_num(d, "max", PyFloat_FromDouble(st->max)) < 0 ||
	    set_num(d, "mean", PyFloat_FromDouble(st->mean)) < 0 ||
	    set_num(d, "stddev", PyFloat_FromDouble(st->stddev)) < 0 ||
	    set_num(d, "rounds", PyLong_FromUnsignedLongLong(st->rounds)) < 0 ||
	    set_num(d, "median", PyFloat_FromDouble(st->median)) < 0 ||
	    set_num(d, "iqr", PyFloat_FromDouble(st->iqr)) < 0 ||
	    set_num(d, "q1", PyFloat_FromDouble(st->q1)) < 0 ||
	    set_num(d, "q3", PyFloat_FromDouble(st->q3)) < 0 ||
	    set_num(d, "iqr_outliers", PyLong_FromUnsignedLongLong(st->iqr_outliers)) < 0 ||
	    set_num(d, "stddev_outliers", PyLong_FromUnsignedLongLong(st->stddev_outliers)) < 0 ||
	    set_num(d, "outliers", PyUnicode_FromString(outliers)) < 0 ||
	    set_num(d, "ld15iqr", PyFloat_FromDouble(st->ld15iqr)) < 0 ||
	    set_num(d, "hd15iqr", PyFloat_FromDouble(st->hd15iqr)) < 0 ||
	    set_num(d, "ops", PyFloat_FromDouble(st->ops)) < 0 ||
	    set_num(d, "total", PyFloat_FromDouble(st->total)) < 0 ||
	    set_num(d, "iterations", PyLong_FromUnsignedLongLong(st->iterations)) < 0 ||
	    PyDict_SetItemString(d, "data", data) < 0)
		goto out;
	rc = pinch_bench_json(&res, 1, 1, &json, NULL);
	if (rc < 0) {
		raise_pinch(rc, "bench");
		goto out;
	}
	r = Py_BuildValue("(Os)", d, json);
out:
	pinch_free(json);
	Py_XDECREF(d);
	Py_XDECREF(data);
	pinch_bench_result_release(&res);
	return r;
}

/* ---- module ---- */

static PyObject *py_set_decorate_hook(PyObject *mod, PyObject *fn)
{
	(void)mod;
	Py_XDECREF(decorate_hook);
	Py_INCREF(fn);
	decorate_hook = fn;
	Py_RETURN_NONE;
}

static PyObject *py_version(PyObject *mod, PyObject *unused)
{
	(void)mod;
	(void)unused;
	return PyUnicode_FromString(pinch_version());
}

#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

static PyMethodDef methods[] = {
	{ "increment", FASTKW(py_increment),
	  "increment(name, value=1, labels=None): adds value (an int >= 0) to the counter name." },
	{ "set_gauge", FASTKW(py_set_gauge), "set_gauge(name, value, labels=None): sets the gauge name." },
	{ "record_timing", FASTKW(py_record_timing),
	  "record_timing(name, seconds, labels=None): records one duration in the timing name." },
	{ "timer", FASTKW(py_timer),
	  "timer(name, labels=None): a context manager (and decorator) timing into the timing name." },
	{ "set_series_limit", py_set_series_limit, METH_O,
	  "set_series_limit(n): at most n label sets per metric name (default 10000)." },
	{ "registry_json", py_registry_json, METH_NOARGS, "The registry as libpinch's JSON." },
	{ "page", py_page, METH_VARARGS, "page(path, accept=None) -> (status, content_type, body)." },
	{ "span_begin", py_span_begin, METH_VARARGS, "span_begin(name, parent=0) -> id" },
	{ "span_end", py_span_end, METH_O, "span_end(id)" },
	{ "span_status", py_span_status, METH_VARARGS, "span_status(id, error, message=None)" },
	{ "spans_report", py_spans_report, METH_NOARGS, "The spans table (name, count, avg, p95, max, total)." },
	{ "now_ns", py_now_ns, METH_NOARGS, "CLOCK_MONOTONIC in nanoseconds." },
	{ "log_open", py_log_open, METH_VARARGS, "log_open(fd_or_path, slow_ms=0)" },
	{ "log_call", py_log_call, METH_VARARGS, "log_call(function, duration_ns, error=None, fields=None)" },
	{ "serve", FASTKW(py_serve),
	  "serve(host='127.0.0.1', port=9464, allow_remote=False) -> Server" },
	{ "bench", py_bench, METH_VARARGS, "The harness; use pinch.bench()." },
	{ "_set_decorate_hook", py_set_decorate_hook, METH_O, NULL },
	{ "version", py_version, METH_NOARGS, "libpinch's version." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "pinch._pinch",
	"libpinch's C core; use the pinch package.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__pinch(void)
{
	PyObject *m;
	int k;

	for (k = 0; k < K_NKINDS; k++) {
		cache[k] = PyDict_New();
		lcache[k] = PyDict_New();
		lcount[k] = PyDict_New();
		if (!cache[k] || !lcache[k] || !lcount[k])
			return NULL;
	}
	HandleType = (PyTypeObject *)PyType_FromSpec(&handle_spec);
	TimerType = (PyTypeObject *)PyType_FromSpec(&timer_spec);
	ServerType = (PyTypeObject *)PyType_FromSpec(&server_spec);
	if (!HandleType || !TimerType || !ServerType)
		return NULL;
	m = PyModule_Create(&module);
	if (!m)
		return NULL;
	if (PyModule_AddObjectRef(m, "Timer", (PyObject *)TimerType) < 0 ||
	    PyModule_AddObjectRef(m, "Server", (PyObject *)ServerType) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
