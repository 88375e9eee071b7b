// fg-browser.mjs - drives headless Chromium over the DevTools protocol
// (Node's WebSocket, no npm packages) to check a pinch flame graph SVG:
// it loads without script errors, a real mouse click zooms, typing in the
// search box reports the exact matched value, Escape clears and resets.
// Usage: node --experimental-websocket fg-browser.mjs SVG CLICK_NAME QUERY WANT_VALUE [PNG]
// Prints TAP lines (no plan); exits 0 even on failures (the caller counts).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { launch, ok } from './cdp.mjs';

const [svgPath, clickName, query, wantValue, pngPath] = process.argv.slice(2);
let browser;
const timer = setTimeout(() => { ok(false, 'browser check finished in time'); browser?.close(); process.exit(0); }, 60000);
browser = await launch();
const { send, js, until, errors } = browser;
async function click(x, y) {
	for (const type of ['mouseMoved', 'mousePressed', 'mouseReleased'])
		await send('Input.dispatchMouseEvent', { type, x, y, button: 'left', clickCount: 1 });
}

try {
	const t0 = Date.now();
	await send('Page.navigate', { url: 'file://' + resolve(svgPath) });
	ok(await until("document.documentElement && document.documentElement.getAttribute('data-ready') === '1'"),
		'script ran and decoded the tree');
	console.log(`# loaded in ${Date.now() - t0} ms`);
	const drawn0 = await js("document.querySelectorAll('#frames g.f').length");
	ok(drawn0 > 0, `static frames drawn (${drawn0})`);

	// a real click on the first frame named clickName
	const box = await js(`(() => { for (const g of document.querySelectorAll('#frames g.f')) {
		if (g.querySelector('title').textContent.startsWith(${JSON.stringify(clickName + ' (')})) {
			const r = g.querySelector('rect').getBoundingClientRect();
			return { x: r.x + r.width / 2, y: r.y + r.height / 2, i: +g.getAttribute('data-i') }; } } return null; })()`);
	ok(box !== null, `frame ${clickName} is drawn`);
	if (box) {
		await click(box.x, box.y);
		ok(await until(`document.documentElement.getAttribute('data-zoom') === '${box.i}'`, 5000),
			`click zooms into ${clickName}`);
		const w = await js(`(() => { const g = document.querySelector('#frames g.f[data-i="${box.i}"]:not(.a)');
			return g ? +g.querySelector('rect').getAttribute('width') : -1; })()`);
		ok(Math.abs(w - 1180) < 0.01, `zoomed frame spans the full width (${w})`);
		ok(await js("!document.getElementById('unzoom').classList.contains('hide')"), 'reset zoom shown');
	}

	// type the query into the search box
	await js("(() => { const q = document.getElementById('q'); q.focus(); q.select(); })()");
	await send('Input.insertText', { text: query });
	ok(await until("document.documentElement.hasAttribute('data-matched-value')", 5000), 'search ran');
	const got = await js("document.documentElement.getAttribute('data-matched-value')");
	ok(got === String(wantValue), `matched value is exact (${got}, want ${wantValue})`);
	const text = await js("document.getElementById('matched').textContent");
	const cPct = await js("document.documentElement.getAttribute('data-search-pct')");
	ok(text.startsWith('Matched: '), `matched line shown: ${text}`);
	if (cPct !== null)
		ok(text.includes(cPct + ' %'), `JS % equals the generator's % (${cPct})`);
	// upper case: no match until the Aa (case-insensitive) toggle is clicked
	await js("(() => { const q = document.getElementById('q'); q.focus(); q.select(); })()");
	await send('Input.insertText', { text: query.toUpperCase() });
	await until(`document.getElementById('q').value === ${JSON.stringify(query.toUpperCase())}`, 5000);
	const up = await js("document.documentElement.getAttribute('data-matched-value')");
	ok(up === '0', `case-sensitive by default (${query.toUpperCase()}: ${up})`);
	const aa = await js(`(() => { const r = document.getElementById('ci').getBoundingClientRect();
		return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`);
	await click(aa.x, aa.y);
	ok(await until(`document.documentElement.getAttribute('data-matched-value') === '${wantValue}'`, 5000),
		'Aa click: case-insensitive search finds the same value');
	await click(aa.x, aa.y);
	await js("(() => { const q = document.getElementById('q'); q.focus(); q.select(); })()");
	await send('Input.insertText', { text: query });
	await until(`document.documentElement.getAttribute('data-matched-value') === '${wantValue}'`, 5000);

	// a real click on "Reset Zoom" keeps the search highlighted
	const rz = await js(`(() => { const r = document.getElementById('unzoom').getBoundingClientRect();
		return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`);
	await click(rz.x, rz.y);
	ok(await until("document.documentElement.getAttribute('data-zoom') === '0'", 5000), 'Reset Zoom click unzooms');
	const drawn1 = await js("document.querySelectorAll('#frames g.f').length");
	ok(drawn1 === drawn0, `reset redraws what the generator drew (${drawn1} == ${drawn0})`);
	const hl = await js("document.querySelectorAll('#frames rect.m').length");
	ok(hl > 0, `matching frames highlighted (${hl})`);

	if (pngPath) {
		const shot = await send('Page.captureScreenshot', { format: 'png' });
		writeFileSync(pngPath, Buffer.from(shot.result.data, 'base64'));
	}
	if (box) {
		await click(box.x, box.y);
		await until(`document.documentElement.getAttribute('data-zoom') === '${box.i}'`, 5000);
	}

	// Escape clears the search, a second Escape resets the zoom
	const esc = { key: 'Escape', code: 'Escape', windowsVirtualKeyCode: 27 };
	await send('Input.dispatchKeyEvent', { type: 'keyDown', ...esc });
	await send('Input.dispatchKeyEvent', { type: 'keyUp', ...esc });
	ok(await until("!document.documentElement.hasAttribute('data-matched-value')", 5000), 'Escape clears the search');
	await send('Input.dispatchKeyEvent', { type: 'keyDown', ...esc });
	await send('Input.dispatchKeyEvent', { type: 'keyUp', ...esc });
	ok(await until("document.documentElement.getAttribute('data-zoom') === '0'", 5000), 'second Escape resets zoom');
	ok(errors.length === 0, 'no script errors', errors.join('\n'));
} catch (e) {
	ok(false, 'browser session', e.stack);
}
clearTimeout(timer);
browser.close();
process.exit(0);
