// flamegraph.js - the script embedded in pinch's flame graph SVGs
// (src/view/view_flamegraph.c inlines it at build time). It decodes the
// whole call tree from <metadata>, redraws on zoom (deciding what is wide
// enough to draw), and searches every node, counting each sample once.
(function () {
	'use strict';
	var NS = 'http://www.w3.org/2000/svg';
	var svg = document.documentElement;
	function el(id) { return document.getElementById(id); }
	var cfg = JSON.parse(el('fg-cfg').textContent);
	var names = JSON.parse(el('fg-names').textContent);
	var A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
	var dec = new Int8Array(128), i;
	for (i = 0; i < 64; i++) dec[A.charCodeAt(i)] = i;

	// base-32 varints, 6 bits a char: low 5 bits data, bit 5 = more follows
	function Reader(s) { this.s = s.replace(/\s+/g, ''); this.p = 0; }
	Reader.prototype.next = function () {
		var v = 0, m = 1, c;
		for (;;) {
			c = dec[this.s.charCodeAt(this.p++)];
			v += (c & 31) * m;
			if (c < 32) return v;
			m *= 32;
		}
	};

	var n = cfg.n;
	var depth = new Int32Array(n), nm = new Int32Array(n), par = new Int32Array(n);
	var end = new Int32Array(n), val = new Float64Array(n), x0 = new Float64Array(n);
	var cur = new Float64Array(n), open = [], cls = [];
	(function decode() {
		var r = new Reader(el('fg-nodes').textContent), prev = -1, d, k;
		for (i = 0; i < n; i++) {
			d = prev + 1 - r.next();
			for (k = prev; k >= d; k--) end[open[k]] = i;
			depth[i] = d;
			nm[i] = r.next();
			val[i] = r.next() * cfg.scale;
			open[d] = i;
			if (d === 0) {
				par[i] = -1;
				x0[i] = 0;
			} else {
				par[i] = open[d - 1];
				x0[i] = cur[par[i]];
				cur[par[i]] += val[i];
			}
			cur[i] = x0[i];
			prev = d;
		}
		for (k = prev; k >= 0; k--) end[open[k]] = n;
		r = new Reader(el('fg-cls').textContent);
		for (i = 0; i < names.length; i++) cls.push(r.next());
	})();
	var total = n ? val[0] : 0;

	function fmtValue(v) {
		var u = cfg.unit, a = Math.abs(v), units, k;
		if (u === 'microseconds') { v *= 1e3; u = 'nanoseconds'; }
		if (u === 'milliseconds') { v *= 1e6; u = 'nanoseconds'; }
		if (u === 'seconds') { v *= 1e9; u = 'nanoseconds'; }
		a = Math.abs(v);
		if (u === 'nanoseconds') {
			if (a < 1e3) return v.toFixed(0) + ' ns';
			if (a < 1e6) return (v / 1e3).toFixed(a < 1e4 ? 2 : 1) + ' us';
			if (a < 1e9) return (v / 1e6).toFixed(a < 1e7 ? 2 : 1) + ' ms';
			return (v / 1e9).toFixed(a < 1e10 ? 3 : 2) + ' s';
		}
		if (u === 'bytes') {
			units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
			for (k = 0; a >= 1024 && k < 4; k++) a /= 1024;
			if (k === 0) return v.toFixed(0) + ' B';
			return (v < 0 ? -a : a).toFixed(a >= 100 ? 0 : 1) + ' ' + units[k];
		}
		return String(v);
	}
	function pct(v) { return total ? (100 * v / total) : 0; }
	function label(name, w) {
		var chars = Math.floor((w - 6) / 7);
		if (chars < 3) return '';
		if (name.length <= chars) return name;
		return name.substr(0, chars - 2) + '..';
	}
	function tip(i) {
		return names[nm[i]] + ' (' + fmtValue(val[i]) + ', ' + pct(val[i]).toFixed(2) + ' %)';
	}

	var zoomed = 0, hits = null, query = '', ci = false;
	var frames = el('frames'), details = el('details'), matchedEl = el('matched');

	function layout(maxd) {
		var h = cfg.top + (maxd + 1) * cfg.fh + cfg.bottom;
		svg.setAttribute('height', h);
		svg.setAttribute('viewBox', '0 0 ' + cfg.W + ' ' + h);
		el('bg').setAttribute('height', h);
		details.setAttribute('y', h - 10);
		matchedEl.setAttribute('y', h - 10);
	}

	function draw(i, x, w, y, anc) {
		var g = document.createElementNS(NS, 'g'), t, r, s;
		g.setAttribute('class', anc ? 'f a' : 'f');
		g.setAttribute('data-i', i);
		t = document.createElementNS(NS, 'title');
		t.textContent = tip(i);
		g.appendChild(t);
		r = document.createElementNS(NS, 'rect');
		r.setAttribute('x', (cfg.pad + x).toFixed(2));
		r.setAttribute('y', y);
		r.setAttribute('width', w.toFixed(2));
		r.setAttribute('height', cfg.fh - 1);
		r.setAttribute('class', 'c' + cls[nm[i]] + (hits && hits[nm[i]] && i ? ' m' : ''));
		g.appendChild(r);
		s = label(names[nm[i]], w);
		if (s) {
			t = document.createElementNS(NS, 'text');
			t.setAttribute('x', (cfg.pad + x + 3).toFixed(2));
			t.setAttribute('y', y + cfg.fh - 4);
			t.textContent = s;
			g.appendChild(t);
		}
		frames.appendChild(g);
	}

	// Draws node z's subtree at full width; ancestors below it, faded.
	function render(z) {
		var W = cfg.W - 2 * cfg.pad, scale = W / val[z], minw = W * cfg.minfrac;
		var items = [], maxd = depth[z], a, k, w, y;
		zoomed = z;
		for (a = par[z]; a >= 0; a = par[a]) items.push([a, 0, W, 1]);
		for (k = z; k < end[z];) {
			w = val[k] * scale;
			if (w < minw) { k = end[k]; continue; }
			items.push([k, (x0[k] - x0[z]) * scale, w, 0]);
			if (depth[k] > maxd) maxd = depth[k];
			k++;
		}
		while (frames.firstChild) frames.removeChild(frames.firstChild);
		layout(maxd);
		for (k = 0; k < items.length; k++) {
			y = cfg.top + (maxd - depth[items[k][0]]) * cfg.fh;
			draw(items[k][0], items[k][1], items[k][2], y, items[k][3]);
		}
		el('unzoom').setAttribute('class', z ? 'btn' : 'btn hide');
		svg.setAttribute('data-zoom', z);
		svg.setAttribute('data-drawn', items.length);
		saveState();
	}

	// Literal substring match over every node; a sample counts once even
	// when matches nest (a matched node's subtree is skipped).
	function search(q, insensitive) {
		var k, s, matched = 0, qq;
		query = q || '';
		ci = !!insensitive;
		hits = null;
		if (query) {
			qq = ci ? query.toLowerCase() : query;
			hits = new Uint8Array(names.length);
			for (k = 0; k < names.length; k++) {
				s = ci ? names[k].toLowerCase() : names[k];
				hits[k] = s.indexOf(qq) >= 0 ? 1 : 0;
			}
			for (k = 1; k < n;) {
				if (hits[nm[k]]) {
					matched += val[k];
					k = end[k];
				} else {
					k++;
				}
			}
		}
		var rects = frames.getElementsByTagName('rect');
		for (k = 0; k < rects.length; k++) {
			var idx = +rects[k].parentNode.getAttribute('data-i');
			rects[k].setAttribute('class', 'c' + cls[nm[idx]] + (hits && hits[nm[idx]] && idx ? ' m' : ''));
		}
		if (query) {
			matchedEl.textContent = 'Matched: ' + pct(matched).toFixed(2) + ' % (' + fmtValue(matched) + ')';
			svg.setAttribute('data-matched-value', matched);
			svg.setAttribute('data-matched-pct', pct(matched).toFixed(2));
		} else {
			matchedEl.textContent = '';
			svg.removeAttribute('data-matched-value');
			svg.removeAttribute('data-matched-pct');
		}
		el('ci').setAttribute('class', ci ? 'btn on' : 'btn');
		var input = el('q');
		if (input && input.value !== query) input.value = query;
		saveState();
		return matched;
	}

	function saveState() {
		var h = [];
		if (zoomed) h.push('z=' + zoomed);
		if (query) h.push('s=' + encodeURIComponent(query));
		if (ci) h.push('ci=1');
		try {
			history.replaceState(null, '', h.length ? '#' + h.join('&') : location.pathname);
		} catch (e) { /* file:// may refuse; the state is only a convenience */ }
	}

	function frameOf(e) {
		var t = e.target;
		while (t && t !== frames) {
			if (t.getAttribute && t.getAttribute('data-i') !== null) return +t.getAttribute('data-i');
			t = t.parentNode;
		}
		return -1;
	}
	frames.addEventListener('click', function (e) {
		var i = frameOf(e);
		if (i >= 0) render(i);
	});
	frames.addEventListener('mouseover', function (e) {
		var i = frameOf(e);
		details.textContent = i >= 0 ? tip(i) : ' ';
	});
	frames.addEventListener('mouseout', function () { details.textContent = ' '; });
	el('unzoom').addEventListener('click', function () { render(0); });
	el('ci').addEventListener('click', function () { search(query, !ci); });
	var input = el('q');
	if (input) {
		input.addEventListener('input', function () { search(input.value, ci); });
	}
	document.addEventListener('keydown', function (e) {
		if (e.key === 'Escape') {
			if (query) search('', ci);
			else if (zoomed) render(0);
		} else if ((e.ctrlKey || e.metaKey) && e.key === 'f' && input) {
			e.preventDefault();
			input.focus();
		}
	});

	// public for scripted checks: fg.search('x'), fg.zoom(i), fg.reset()
	window.fg = { search: search, zoom: render, reset: function () { render(0); }, total: total,
		find: function (name) { for (var k = 0; k < n; k++) if (names[nm[k]] === name) return k; return -1; } };

	// state from the URL: #s=QUERY&ci=1&z=NODE, else the generator's search
	(function restore() {
		var h = location.hash.replace(/^#/, ''), parts = h ? h.split('&') : [], q = cfg.search || '';
		var c = false, z = 0, k, kv;
		for (k = 0; k < parts.length; k++) {
			kv = parts[k].split('=');
			if (kv[0] === 's') q = decodeURIComponent(kv[1] || '');
			else if (kv[0] === 'ci') c = kv[1] === '1';
			else if (kv[0] === 'z') z = Math.max(0, Math.min(n - 1, parseInt(kv[1], 10) || 0));
		}
		if (z) render(z);
		if (q || c) search(q, c);
	})();
	svg.setAttribute('data-ready', '1');
})();
