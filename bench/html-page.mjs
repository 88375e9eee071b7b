// bench/html-page.mjs - times a pinch HTML report in headless Chromium
// with the browser's own clocks (performance.now, navigation and paint
// entries), over the DevTools protocol (tests/integration/cdp.mjs):
// DOMContentLoaded, the page script done (data-ready-ms), first
// contentful paint, and "interactive": the first frame after the script
// (a requestAnimationFrame callback run after ready, i.e. the main thread
// free to answer input); then a search typed into the box, timed to its
// answer. With --profile, the JS self time at load per function.
// usage: node --experimental-websocket bench/html-page.mjs PAGE QUERY RUNS [--profile]
import { launch, sleep } from '../tests/integration/cdp.mjs';
import { resolve } from 'node:path';

const [page, query, runsArg, prof] = process.argv.slice(2);
const runs = +runsArg || 3;
const b = await launch();
const url = 'file://' + resolve(page);
const rows = [];
for (let r = 0; r < runs; r++) {
	await b.open('about:blank');
	await sleep(200);
	if (prof) { await b.send('Profiler.enable'); await b.send('Profiler.setSamplingInterval', { interval: 200 }); await b.send('Profiler.start'); }
	// a rAF hook installed before any page script runs: the first frame
	// after the page script finished
	const hook = await b.send('Page.addScriptToEvaluateOnNewDocument', { source: `
		(function () { function tick() {
			if (document.body && document.body.hasAttribute('data-ready-ms')) {
				document.documentElement.setAttribute('data-frame-ms', performance.now().toFixed(1)); return; }
			requestAnimationFrame(tick); } requestAnimationFrame(tick); })();` });
	await b.open(url);
	if (!await b.until("!!document.documentElement && document.documentElement.hasAttribute('data-frame-ms')", 120000)) {
		console.error('page never became ready'); break;
	}
	await b.send('Page.removeScriptToEvaluateOnNewDocument', { identifier: hook.result.identifier });
	const t = await b.js(`(() => { const n = performance.getEntriesByType('navigation')[0];
		const p = performance.getEntriesByName('first-contentful-paint')[0];
		return { dcl: n.domContentLoadedEventEnd, ready: +document.body.getAttribute('data-ready-ms'),
			fcp: p ? p.startTime : -1, frame: +document.documentElement.getAttribute('data-frame-ms') }; })()`);
	if (prof) {
		const p = (await b.send('Profiler.stop')).result.profile;
		const self = new Map(), dt = p.timeDeltas, byId = new Map(p.nodes.map((n) => [n.id, n]));
		for (let i = 0; i < p.samples.length; i++) {
			const n = byId.get(p.samples[i]), k = `${n.callFrame.functionName || '(anon)'}:${n.callFrame.lineNumber + 1}`;
			self.set(k, (self.get(k) || 0) + (dt[i + 1] || 0) / 1000);
		}
		console.log('# JS self ms at load: ' + [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)
			.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
	}
	// a search typed into the first profile's box, timed to the answer
	await b.js("(() => { const q = document.querySelector('input.search'); q.focus(); q.value = ''; })()");
	const s0 = await b.js('performance.now()');
	await b.send('Input.insertText', { text: query });
	await b.until("/Matched/.test((document.querySelector('.matched') || {}).textContent || '')", 20000);
	t.search = (await b.js('performance.now()')) - s0;
	rows.push(t);
	console.log(`run ${r + 1}: DOMContentLoaded ${t.dcl.toFixed(0)} ms, script done ${t.ready.toFixed(0)} ms, ` +
		`first paint ${t.fcp.toFixed(0)} ms, interactive ${t.frame.toFixed(0)} ms, search ${t.search.toFixed(0)} ms (incl. DevTools round trips)`);
}
const med = (k) => { const v = rows.map((x) => x[k]).sort((a, b) => a - b); return v[(v.length - 1) >> 1]; };
if (rows.length)
	console.log(`median of ${rows.length}: DOMContentLoaded ${med('dcl').toFixed(0)} ms, script done ${med('ready').toFixed(0)} ms, ` +
		`first paint ${med('fcp').toFixed(0)} ms, interactive ${med('frame').toFixed(0)} ms, search ${med('search').toFixed(0)} ms; errors ${b.errors.length}`);
for (const e of b.errors) console.log('# error: ' + e);
b.close();
process.exit(0);
