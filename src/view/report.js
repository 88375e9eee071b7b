/* report.js - the HTML report's script (embedded by view_html.c; no
 * network, no libraries). Each <section class="prof"> carries its data in
 * <script type="application/json" class="pdata">: the call tree in
 * preorder (d: depth, f: function, s: self value; node 0 is the root),
 * function names, kinds and locations, and optionally the samples per time
 * bin (bins.e[b]: node, value pairs). Drawn on a canvas: only frames at
 * least a pixel wide are drawn (zoom shows the rest), search runs over all
 * nodes and its % is computed from values, never from pixels.
 * #selftest[=QUERY] in the URL runs checks on load and writes the results
 * as JSON into <pre id="selftest-result"> (tests/integration/t1805).
 */
(function () {
	'use strict';
	var errors = [];
	window.addEventListener('error', function (e) { errors.push(String(e.message)); });
	var origError = console.error;
	console.error = function () {
		errors.push(Array.prototype.join.call(arguments, ' '));
		origError.apply(console, arguments);
	};
	var FH = 17;

	function fmt(v, unit) {
		var a = Math.abs(v);
		if (unit === 'nanoseconds') {
			if (a >= 1e9) return (v / 1e9).toFixed(3) + ' s';
			if (a >= 1e6) return (v / 1e6).toFixed(1) + ' ms';
			if (a >= 1e3) return (v / 1e3).toFixed(1) + ' us';
			return v + ' ns';
		}
		if (unit === 'bytes') {
			if (a >= 1073741824) return (v / 1073741824).toFixed(2) + ' GiB';
			if (a >= 1048576) return (v / 1048576).toFixed(2) + ' MiB';
			if (a >= 1024) return (v / 1024).toFixed(1) + ' KiB';
			return v + ' B';
		}
		return String(v);
	}
	function pct(v, t) { return t > 0 ? (100 * v / t).toFixed(2) : '0.00'; }
	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined) e.textContent = text;
		return e;
	}

	/* A tree in preorder: parent, inclusive total and subtree end per node. */
	function Tree(d, f, s) {
		var n = d.length, i, stack = [];
		if (!(d instanceof Int32Array)) d = Int32Array.from(d);
		if (!(f instanceof Int32Array)) f = Int32Array.from(f);
		if (!(s instanceof Float64Array)) s = Float64Array.from(s);
		this.n = n; this.d = d; this.f = f; this.self = s;
		this.parent = new Int32Array(n);
		this.total = new Float64Array(n);
		this.end = new Int32Array(n);
		this.maxDepth = 0;
		for (i = 0; i < n; i++) {
			stack[d[i]] = i;
			this.parent[i] = d[i] > 0 ? stack[d[i] - 1] : -1;
			if (d[i] > this.maxDepth) this.maxDepth = d[i];
			this.end[i] = i + 1;
		}
		for (i = n - 1; i >= 0; i--) {
			var p = this.parent[i];
			this.total[i] += s[i];
			if (p >= 0) {
				this.total[p] += this.total[i];
				if (this.end[i] > this.end[p]) this.end[p] = this.end[i];
			}
		}
	}

	/* Callers first: every stack reversed (leaf at depth 1), siblings by name. */
	function invert(t, names) {
		var kids = [new Map()], tf = [-1], ts = [0], i, path = [];
		for (i = 1; i < t.n; i++) {
			if (!t.self[i]) continue;
			var node = 0, k = i;
			path.length = 0;
			while (k > 0) { path.push(t.f[k]); k = t.parent[k]; }
			for (var j = 0; j < path.length; j++) {
				var m = kids[node], c = m.get(path[j]);
				if (c === undefined) {
					c = tf.length; tf.push(path[j]); ts.push(0); kids.push(new Map());
					m.set(path[j], c);
				}
				node = c;
			}
			ts[node] += t.self[i];
		}
		var d = [], f = [], s = [], st = [[0, 0]];
		while (st.length) {
			var top = st.pop(), id = top[0];
			d.push(top[1]); f.push(tf[id]); s.push(ts[id]);
			var ch = Array.from(kids[id].values());
			ch.sort(function (a, b) { return names[tf[a]] < names[tf[b]] ? 1 : names[tf[a]] > names[tf[b]] ? -1 : 0; });
			for (var q = 0; q < ch.length; q++) st.push([ch[q], top[1] + 1]);
		}
		return new Tree(d, f, s);
	}

	function hue(name, kind) {
		var h = 0, i;
		for (i = 0; i < name.length && i < 24; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
		var v = (h % 1000) / 1000;
		if (kind === 1) return 'rgb(' + (50 + 70 * v | 0) + ',' + (180 + 50 * v | 0) + ',' + (60 + 50 * v | 0) + ')';
		if (kind === 2) return 'rgb(' + (70 + 50 * v | 0) + ',' + (150 + 60 * v | 0) + ',' + (215 + 40 * v | 0) + ')';
		if (kind === 3) return 'rgb(' + (170 + 50 * v | 0) + ',' + (170 + 50 * v | 0) + ',' + (170 + 50 * v | 0) + ')';
		return 'rgb(' + (215 + 40 * v | 0) + ',' + (90 + 140 * v | 0) + ',' + (40 * v | 0) + ')';
	}

	function Profile(sec, data) {
		var me = this;
		this.sec = sec; this.data = data;
		this.names = data.names;
		this.unit = data.unit;
		this.fwd = new Tree(data.d, data.f, data.s);
		this.tree = this.fwd;
		this.zoom = 0;
		this.inverted = false;
		this.match = null;
		this.rects = [];
		this.sel = null;
		var box = sec.querySelector('.fgbox');
		if (data.bins) {
			this.strip = el('canvas', 'strip');
			box.appendChild(el('div', 'hint', 'Samples over time: drag to select a range, double-click to clear'));
			box.appendChild(this.strip);
			this.selInfo = el('div', 'selinfo', '');
			box.appendChild(this.selInfo);
		}
		var ctl = el('div', 'controls');
		this.search = el('input', 'search');
		this.search.type = 'search';
		this.search.placeholder = 'search function names (literal)';
		this.matched = el('span', 'matched', '');
		var lab = el('label', 'invlab');
		this.inv = el('input', 'inv');
		this.inv.type = 'checkbox';
		lab.appendChild(this.inv);
		lab.appendChild(document.createTextNode(' inverted (callers, icicle)'));
		this.reset = el('button', 'reset', 'Reset zoom');
		ctl.appendChild(this.search); ctl.appendChild(this.matched); ctl.appendChild(lab); ctl.appendChild(this.reset);
		box.appendChild(ctl);
		this.canvas = el('canvas', 'fg');
		box.appendChild(this.canvas);
		this.details = el('div', 'details', ' ');
		box.appendChild(this.details);
		this.tip = el('div', 'tip');
		box.appendChild(this.tip);
		this.search.addEventListener('input', function () { me.doSearch(me.search.value); });
		this.inv.addEventListener('change', function () { me.setInverted(me.inv.checked); });
		this.reset.addEventListener('click', function () { me.zoom = 0; me.draw(); });
		this.canvas.addEventListener('click', function (e) {
			var r = me.hit(e);
			if (r) { me.zoom = r.node; me.draw(); }
		});
		this.canvas.addEventListener('mousemove', function (e) { me.hover(e); });
		this.canvas.addEventListener('mouseleave', function () { me.tip.style.display = 'none'; });
		window.addEventListener('resize', function () { me.draw(); me.drawStrip(); });
		this.setupTable();
		this.setupStrip();
		this.draw();
		this.fillTable();
	}

	Profile.prototype.label = function (node) {
		return node === 0 ? 'all' : this.names[this.tree.f[node]];
	};

	Profile.prototype.draw = function () {
		var t = this.tree, cv = this.canvas, dpr = window.devicePixelRatio || 1;
		var W = Math.max(300, cv.parentNode.clientWidth - 2), H = (t.maxDepth + 1) * FH + 4;
		cv.style.width = W + 'px'; cv.style.height = H + 'px';
		cv.width = W * dpr; cv.height = H * dpr;
		var g = cv.getContext('2d');
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, W, H);
		g.font = '12px sans-serif';
		g.textBaseline = 'middle';
		var rects = [], z = this.zoom, zt = t.total[z] || 1, scale = W / zt, i;
		var inv = this.inverted, match = this.match, names = this.names, kinds = this.data.kinds;
		var colors = this.colors || (this.colors = new Array(names.length));
		var yOf = function (depth) { return inv ? depth * FH : H - (depth + 1) * FH; };
		var self = this;
		function box(node, x, w) {
			var y = yOf(t.d[node]), fi = t.f[node];
			var m = match && node > 0 && match[fi];
			g.fillStyle = m ? 'rgb(200,70,230)' : node === 0 ? 'rgb(200,190,235)' :
				colors[fi] || (colors[fi] = hue(names[fi], kinds[fi]));
			g.fillRect(x, y, Math.max(w - 0.5, 0.5), FH - 1);
			rects.push({ x: x, y: y, w: w, node: node, m: !!m });
		}
		/* ancestors of the zoomed frame: full width */
		for (var a = t.parent[z]; a >= 0; a = t.parent[a]) box(a, 0, W);
		var xs = [], base = t.d[z];
		xs[base] = 0;
		for (i = z; i < t.end[z];) {
			var w = t.total[i] * scale, dd = t.d[i];
			var x = xs[dd];
			xs[dd] = x + w;
			if (w < 1) { i = t.end[i]; continue; }
			xs[dd + 1] = x;
			box(i, x, w);
			i++;
		}
		/* labels in one pass: one fill style */
		g.fillStyle = '#000';
		for (i = 0; i < rects.length; i++) {
			var q = rects[i];
			if (q.w < 40) continue;
			var name = self.label(q.node), chars = Math.floor((q.w - 6) / 6.5);
			g.fillText(name.length > chars ? name.slice(0, Math.max(chars - 1, 1)) + '\u2026' : name, q.x + 3, q.y + FH / 2);
		}
		this.rects = rects;
	};

	Profile.prototype.hit = function (e) {
		var r = this.canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top, i;
		for (i = this.rects.length - 1; i >= 0; i--) {
			var q = this.rects[i];
			if (x >= q.x && x < q.x + q.w && y >= q.y && y < q.y + FH) return q;
		}
		return null;
	};

	Profile.prototype.describe = function (node) {
		var t = this.tree, v = t.total[node], all = t.total[0];
		var s = this.label(node) + ' \u2014 ' + fmt(v, this.unit) + ' (' + pct(v, all) + ' %)';
		if (t.self[node]) s += ', self ' + fmt(t.self[node], this.unit) + ' (' + pct(t.self[node], all) + ' %)';
		if (node > 0 && this.data.locs[t.f[node]]) s += '  ' + this.data.locs[t.f[node]];
		return s;
	};

	Profile.prototype.hover = function (e) {
		var q = this.hit(e);
		if (!q) { this.tip.style.display = 'none'; return; }
		var text = this.describe(q.node);
		this.tip.textContent = text;
		this.details.textContent = text;
		var box = this.canvas.parentNode.getBoundingClientRect();
		this.tip.style.display = 'block';
		this.tip.style.left = Math.min(e.clientX - box.left + 12, box.width - 320) + 'px';
		this.tip.style.top = (e.clientY - box.top + 14) + 'px';
	};

	/* Exact matched share: values of matching nodes not under another match. */
	Profile.prototype.doSearch = function (q) {
		var t0 = performance.now(), t = this.tree, i;
		if (!q) {
			this.match = null;
			this.matched.textContent = '';
			this.draw();
			return { pct: 0, ms: performance.now() - t0 };
		}
		var names = this.names, m = new Uint8Array(names.length);
		for (i = 0; i < names.length; i++) if (names[i].indexOf(q) >= 0) m[i] = 1;
		var sum = 0, cover = 0;
		for (i = 1; i < t.n; i++) {
			if (i < cover) continue;
			if (m[t.f[i]]) { sum += t.total[i]; cover = t.end[i]; }
		}
		this.match = m;
		var p = pct(sum, t.total[0]), t1 = performance.now();
		this.matched.textContent = 'Matched: ' + p + ' % (' + fmt(sum, this.unit) + ')';
		this.draw();
		var t2 = performance.now();
		return { pct: Number(p), value: sum, ms: t2 - t0, compute_ms: t1 - t0, draw_ms: t2 - t1 };
	};

	Profile.prototype.rebuild = function () {
		this.tree = this.inverted ? invert(this.cur, this.names) : this.cur;
		this.zoom = 0;
		if (this.search.value) this.doSearch(this.search.value); else this.draw();
		this.fillTable();
	};

	Profile.prototype.setInverted = function (on) {
		this.inverted = on;
		this.inv.checked = on;
		this.rebuild();
	};

	/* ---- samples over time ---- */
	Profile.prototype.setupStrip = function () {
		var me = this, b = this.data.bins;
		this.cur = this.fwd;
		if (!b) return;
		var down = -1;
		function binAt(e) {
			var r = me.strip.getBoundingClientRect();
			return Math.max(0, Math.min(b.n - 1, Math.floor((e.clientX - r.left) / r.width * b.n)));
		}
		this.strip.addEventListener('mousedown', function (e) { down = binAt(e); me.sel = [down, down]; me.drawStrip(); });
		this.strip.addEventListener('mousemove', function (e) {
			if (down < 0) return;
			var k = binAt(e);
			me.sel = [Math.min(down, k), Math.max(down, k)];
			me.drawStrip();
		});
		window.addEventListener('mouseup', function () {
			if (down < 0) return;
			down = -1;
			me.selectRange(me.sel[0], me.sel[1]);
		});
		this.strip.addEventListener('dblclick', function () { me.selectRange(-1, -1); });
		this.drawStrip();
	};

	Profile.prototype.selectRange = function (b0, b1) {
		var b = this.data.bins, i, k;
		if (b0 < 0) {
			this.sel = null;
			this.cur = this.fwd;
			this.selInfo.textContent = '';
		} else {
			var s = new Float64Array(this.fwd.n), n = 0;
			for (k = b0; k <= b1; k++) {
				var e = b.e[k];
				for (i = 0; i < e.length; i += 2) s[e[i]] += e[i + 1];
				n += b.c[k];
			}
			this.sel = [b0, b1];
			this.cur = new Tree(this.fwd.d, this.fwd.f, s);
			var w = b.dur / b.n;
			this.selInfo.textContent = 'selected ' + fmt(b0 * w, 'nanoseconds') + ' \u2013 ' +
				fmt((b1 + 1) * w, 'nanoseconds') + ': ' + n + ' samples, ' + fmt(this.cur.total[0], this.unit);
		}
		this.drawStrip();
		this.rebuild();
	};

	Profile.prototype.drawStrip = function () {
		var b = this.data.bins;
		if (!b) return;
		var cv = this.strip, dpr = window.devicePixelRatio || 1;
		var W = Math.max(300, cv.parentNode.clientWidth - 2), H = 56, i, max = 1;
		cv.style.width = W + 'px'; cv.style.height = H + 'px';
		cv.width = W * dpr; cv.height = H * dpr;
		var g = cv.getContext('2d');
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, W, H);
		for (i = 0; i < b.n; i++) if (b.v[i] > max) max = b.v[i];
		var bw = W / b.n;
		if (this.sel) {
			g.fillStyle = 'rgba(90,140,230,0.25)';
			g.fillRect(this.sel[0] * bw, 0, (this.sel[1] - this.sel[0] + 1) * bw, H);
		}
		g.fillStyle = 'rgb(230,120,40)';
		for (i = 0; i < b.n; i++) {
			var h = (H - 4) * b.v[i] / max;
			g.fillRect(i * bw, H - h, Math.max(bw - 0.5, 0.5), h);
		}
	};

	/* ---- top table: self/total per function of the current tree ---- */
	Profile.prototype.setupTable = function () {
		var me = this, box = this.sec.querySelector('.topbox');
		this.sortKey = 'self';
		this.sortDir = -1;
		this.filter = el('input', 'filter');
		this.filter.type = 'search';
		this.filter.placeholder = 'filter functions';
		box.appendChild(this.filter);
		this.table = el('table', 'top');
		box.appendChild(this.table);
		this.filter.addEventListener('input', function () { me.fillTable(); });
	};

	Profile.prototype.rows = function () {
		var t = this.cur, nf = this.names.length, self = new Float64Array(nf), tot = new Float64Array(nf);
		var on = new Int32Array(nf), path = [], i, k;
		for (i = 1; i < t.n; i++) {
			var d = t.d[i];
			while (path.length >= d) { on[t.f[path.pop()]]--; }
			var f = t.f[i];
			self[f] += t.self[i];
			if (!on[f]) tot[f] += t.total[i];
			on[f]++;
			path.push(i);
		}
		var rows = [];
		for (k = 0; k < nf; k++) if (tot[k] > 0) rows.push({ f: k, self: self[k], total: tot[k] });
		return rows;
	};

	Profile.prototype.fillTable = function () {
		var me = this, rows = this.rows(), all = this.cur.total[0], q = this.filter.value, key = this.sortKey, dir = this.sortDir;
		if (q) rows = rows.filter(function (r) { return me.names[r.f].indexOf(q) >= 0; });
		rows.sort(function (a, b) {
			var x = key === 'name' ? me.names[a.f] : a[key], y = key === 'name' ? me.names[b.f] : b[key];
			return x < y ? -dir : x > y ? dir : 0;
		});
		var tb = this.table;
		while (tb.firstChild) tb.removeChild(tb.firstChild);
		var head = el('tr'), cols = [['self', 'Self %'], ['total', 'Total %'], ['self', 'Self'], ['total', 'Total'], ['name', 'Function'], ['', 'Location']];
		cols.forEach(function (c) {
			var th = el('th', c[0] ? 'sortable' : '', c[1] + (c[0] === key && c[1].indexOf('%') > 0 ? (dir < 0 ? ' \u25bc' : ' \u25b2') : c[0] === key && c[0] === 'name' ? (dir < 0 ? ' \u25bc' : ' \u25b2') : ''));
			if (c[0]) th.addEventListener('click', function () {
				if (me.sortKey === c[0]) me.sortDir = -me.sortDir; else { me.sortKey = c[0]; me.sortDir = c[0] === 'name' ? 1 : -1; }
				me.fillTable();
			});
			head.appendChild(th);
		});
		tb.appendChild(head);
		var shown = Math.min(rows.length, 300);
		for (var i = 0; i < shown; i++) {
			var r = rows[i], tr = el('tr');
			tr.appendChild(el('td', 'num', pct(r.self, all)));
			tr.appendChild(el('td', 'num', pct(r.total, all)));
			tr.appendChild(el('td', 'num', fmt(r.self, this.unit)));
			tr.appendChild(el('td', 'num', fmt(r.total, this.unit)));
			tr.appendChild(el('td', 'fn', this.names[r.f]));
			tr.appendChild(el('td', 'loc', this.data.locs[r.f] || ''));
			tb.appendChild(tr);
		}
		if (rows.length > shown) {
			var more = el('tr'), td = el('td', '', (rows.length - shown) + ' more rows: filter to see them');
			td.colSpan = 6;
			more.appendChild(td);
			tb.appendChild(more);
		}
	};

	/* ---- load results: latency percentiles (log tail), RPS and errors, verdicts ---- */
	var SVGNS = 'http://www.w3.org/2000/svg';
	function sv(tag, attrs, text) {
		var e = document.createElementNS(SVGNS, tag);
		for (var k in attrs) e.setAttribute(k, attrs[k]);
		if (text !== undefined) e.textContent = text;
		return e;
	}
	/* series: [{pts: [[x, y]...], color, label}]; xticks: [[x, label]...] */
	function chart(parent, title, series, xticks, xlab, ylab) {
		var W = 720, H = 260, L = 64, R = 16, T = 28, B = 40, xmax = 0, ymax = 0;
		series.forEach(function (s) { s.pts.forEach(function (p) { if (p[0] > xmax) xmax = p[0]; if (p[1] > ymax) ymax = p[1]; }); });
		if (!xmax) xmax = 1;
		if (!ymax) ymax = 1;
		var g = sv('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, 'class': 'chart' });
		g.appendChild(sv('text', { x: L, y: 18, 'font-size': 14 }, title));
		var X = function (x) { return L + (W - L - R) * x / xmax; }, Y = function (y) { return H - B - (H - T - B) * y / ymax; };
		for (var k = 0; k <= 4; k++) {
			var yv = ymax * k / 4;
			g.appendChild(sv('line', { x1: L, x2: W - R, y1: Y(yv), y2: Y(yv), stroke: '#ddd' }));
			g.appendChild(sv('text', { x: L - 4, y: Y(yv) + 4, 'font-size': 11, 'text-anchor': 'end' }, yv >= 100 ? yv.toFixed(0) : yv.toPrecision(3)));
		}
		xticks.forEach(function (t) {
			if (t[0] > xmax * 1.0001) return;
			g.appendChild(sv('line', { x1: X(t[0]), x2: X(t[0]), y1: T, y2: H - B, stroke: '#eee' }));
			g.appendChild(sv('text', { x: X(t[0]), y: H - B + 14, 'font-size': 11, 'text-anchor': 'middle' }, t[1]));
		});
		g.appendChild(sv('text', { x: (L + W - R) / 2, y: H - 6, 'font-size': 12, 'text-anchor': 'middle' }, xlab));
		g.appendChild(sv('text', { x: 12, y: (T + H - B) / 2, 'font-size': 12, 'text-anchor': 'middle', transform: 'rotate(-90 12 ' + (T + H - B) / 2 + ')' }, ylab));
		series.forEach(function (s, i) {
			var d = s.pts.map(function (p, j) { return (j ? 'L' : 'M') + X(p[0]).toFixed(1) + ' ' + Y(p[1]).toFixed(1); }).join('');
			if (d) g.appendChild(sv('path', { d: d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'class': 'series' }));
			g.appendChild(sv('rect', { x: W - R - 150, y: T + 4 + i * 16, width: 10, height: 10, fill: s.color }));
			g.appendChild(sv('text', { x: W - R - 135, y: T + 13 + i * 16, 'font-size': 11 }, s.label));
		});
		parent.appendChild(g);
		return g;
	}

	function LoadResult(sec, data) {
		var r = data.result, box = sec.querySelector('.loadbox');
		this.data = data;
		var ticks = [[0, '0 %'], [1, '90 %'], [2, '99 %'], [3, '99.9 %'], [4, '99.99 %'], [5, '99.999 %'], [6, '99.9999 %']];
		var series = [{ pts: data.pct, color: 'rgb(220,90,30)', label: 'latency (ms)' }];
		if (data.pct_uncorrected && data.pct_uncorrected.length)
			series.push({ pts: data.pct_uncorrected, color: 'rgb(90,120,200)', label: 'uncorrected (ms)' });
		chart(box, 'Latency by percentile (log tail, as HdrHistogram plots it)', series, ticks, 'percentile', 'ms');
		var tk = data.ticks, tt = tk.map(function (t) { return [t[0], t[0].toFixed(0) + ' s']; });
		var step = Math.max(1, Math.ceil(tt.length / 10));
		tt = tt.filter(function (x, i) { return i % step === 0; });
		if (tk.length) {
			chart(box, 'Requests and errors per second', [
				{ pts: tk.map(function (t) { return [t[0], t[1]]; }), color: 'rgb(40,150,80)', label: 'requests/s' },
				{ pts: tk.map(function (t) { return [t[0], t[2]]; }), color: 'rgb(200,40,40)', label: 'errors/s' }], tt, 'seconds', 'per second');
			chart(box, 'Latency per second', [
				{ pts: tk.map(function (t) { return [t[0], t[3]]; }), color: 'rgb(120,120,120)', label: 'p50 (ms)' },
				{ pts: tk.map(function (t) { return [t[0], t[4]]; }), color: 'rgb(220,90,30)', label: 'p99 (ms)' }], tt, 'seconds', 'ms');
		} else {
			box.appendChild(el('p', 'empty', 'No per-second figures in a JSON result (pinch load --html draws them).'));
		}
		var rows = [];
		(r.verdict || []).forEach(function (v) {
			rows.push([v.metric, v.value_ms !== undefined ? v.value_ms.toFixed(2) + ' ms' : String(v.value), v.rating]);
		});
		(r.thresholds || []).forEach(function (t) {
			rows.push([t.threshold, t.actual === null || t.actual === undefined ? '-' : t.actual + ' ' + t.unit, t.pass ? 'pass' : 'FAIL']);
		});
		var tb = el('table', 'top verdict'), h = el('tr');
		['Metric', 'Value', 'Verdict'].forEach(function (c) { h.appendChild(el('th', '', c)); });
		tb.appendChild(h);
		rows.forEach(function (row) {
			var tr = el('tr');
			row.forEach(function (c) { tr.appendChild(el('td', '', c)); });
			tb.appendChild(tr);
		});
		box.appendChild(el('h3', '', 'Verdict'));
		box.appendChild(tb);
		this.verdictRows = rows.length;
		this.charts = box.querySelectorAll('svg.chart').length;
	}

	/* ---- start ---- */
	var profiles = [];
	var secs = document.querySelectorAll('section.prof');
	for (var i = 0; i < secs.length; i++) {
		var js = secs[i].querySelector('script.pdata');
		if (!js) continue;
		try {
			profiles.push(new Profile(secs[i], JSON.parse(js.textContent)));
		} catch (e) {
			errors.push('section ' + i + ': ' + e.message);
		}
	}
	var loads = [], lsecs = document.querySelectorAll('section.load');
	for (i = 0; i < lsecs.length; i++) {
		try {
			loads.push(new LoadResult(lsecs[i], JSON.parse(lsecs[i].querySelector('script.ldata').textContent)));
		} catch (e) {
			errors.push('load section ' + i + ': ' + e.message);
		}
	}
	var tReady = performance.now();
	document.body.setAttribute('data-ready-ms', tReady.toFixed(1));
	var tSelf = performance.now();

	if (/^#selftest/.test(location.hash)) {
		var q = decodeURIComponent(location.hash.replace(/^#selftest=?/, ''));
		var res = { ready_ms: tReady, sections: [] };
		profiles.forEach(function (p) {
			var r = {}, uniq = function (a) { return a.filter(function (x, i) { return a.indexOf(x) === i; }); };
			r.frames = p.rects.length;
			r.names = uniq(p.rects.map(function (x) { return p.label(x.node); }));
			r.total = p.tree.total[0];
			r.table_rows = p.table.rows.length - 1;
			if (q) {
				var s = p.doSearch(q);
				r.search = { q: q, pct: s.pct, value: s.value, ms: s.ms, compute_ms: s.compute_ms, draw_ms: s.draw_ms,
					matched_text: p.matched.textContent,
					highlighted: uniq(p.rects.filter(function (x) { return x.m; }).map(function (x) { return p.label(x.node); })) };
			}
			p.setInverted(true);
			var kids = p.rects.filter(function (x) { return p.tree.d[x.node] === 1; }).map(function (x) { return p.label(x.node); });
			r.inverted = { depth1: uniq(kids), root_y: p.rects.length ? p.rects.filter(function (x) { return x.node === 0; })[0].y : -1 };
			if (q) r.inverted.search_pct = p.doSearch(q).pct;
			p.setInverted(false);
			r.normal_root_y = p.rects.filter(function (x) { return x.node === 0; })[0].y;
			if (p.data.bins) {
				/* split where half the samples are behind (the strip spans the
				 * recording, which can outlast the samples) */
				var b = p.data.bins, half = 1, cum = 0, all = 0, i;
				for (i = 0; i < b.n; i++)
					all += b.c[i];
				for (i = 0; i < b.n - 1; i++) {
					cum += b.c[i];
					if (2 * cum >= all) {
						half = i + 1;
						break;
					}
				}
				p.selectRange(0, half - 1);
				var t1 = p.cur.total[0];
				p.selectRange(half, b.n - 1);
				var t2 = p.cur.total[0];
				p.selectRange(-1, -1);
				r.range = { first_half: t1, second_half: t2, all: p.cur.total[0] };
			}
			res.sections.push(r);
		});
		res.loads = loads.map(function (l) {
			return { charts: l.charts, verdict_rows: l.verdictRows, points: l.data.pct.length, ticks: l.data.ticks.length,
				requests: l.data.result.requests, p99_ms: l.data.result.latency_ms.p99 };
		});
		res.selftest_ms = performance.now() - tSelf;
		res.errors = errors;
		var pre = el('pre', '', JSON.stringify(res));
		pre.id = 'selftest-result';
		document.body.appendChild(pre);
	}
})();
