// cdp.mjs - a headless Chromium driven over the DevTools protocol with
// Node's own WebSocket (node --experimental-websocket, no npm packages),
// for the browser tests: open(url) a page, js(expr) evaluate in it,
// until(expr) poll, errors[] the page's exceptions and console.error
// lines. browser.close() kills Chromium and removes its profile.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function launch(extraFlags = []) {
	const profileDir = mkdtempSync(join(tmpdir(), 'pinch-chromium-'));
	const chrome = spawn(process.env.CHROMIUM || '/usr/bin/chromium', [
		'--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
		`--user-data-dir=${profileDir}`, '--remote-debugging-port=0', '--window-size=1200,800',
		...extraFlags, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
	const close = () => {
		try { chrome.kill('SIGKILL'); } catch (e) { /* gone */ }
		try { rmSync(profileDir, { recursive: true, force: true }); } catch (e) { /* ignore */ }
	};
	const browserWs = await new Promise((res, rej) => {
		let buf = '';
		chrome.stderr.on('data', (d) => {
			buf += d;
			const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
			if (m) res(m[1]);
		});
		chrome.on('exit', (c) => rej(new Error(`chromium exited ${c}: ${buf}`)));
	});
	const port = new URL(browserWs).port;
	const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
	const page = targets.find((t) => t.type === 'page');
	const ws = new WebSocket(page.webSocketDebuggerUrl);
	await new Promise((r) => ws.addEventListener('open', r));

	let id = 0;
	const pending = new Map(), errors = [];
	ws.addEventListener('message', (ev) => {
		const msg = JSON.parse(ev.data);
		if (msg.id && pending.has(msg.id)) {
			pending.get(msg.id)(msg);
			pending.delete(msg.id);
		} else if (msg.method === 'Runtime.exceptionThrown') {
			const d = msg.params.exceptionDetails;
			errors.push(d.exception?.description || d.text);
		} else if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') {
			errors.push(msg.params.args.map((a) => a.value ?? a.description).join(' '));
		} else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
			errors.push(msg.params.entry.text + ' ' + (msg.params.entry.url || ''));
		}
	});
	function send(method, params = {}) {
		return new Promise((res) => {
			const i = ++id;
			pending.set(i, res);
			ws.send(JSON.stringify({ id: i, method, params }));
		});
	}
	async function js(expr) {
		const r = await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
		if (r.result.exceptionDetails)
			throw new Error((r.result.exceptionDetails.exception?.description || r.result.exceptionDetails.text) + ' in ' + expr);
		return r.result.result.value;
	}
	async function until(expr, ms = 20000) {
		for (let t = 0; t < ms; t += 50) {
			if (await js(expr)) return true;
			await sleep(50);
		}
		return false;
	}
	await send('Runtime.enable');
	await send('Page.enable');
	await send('Log.enable');
	return { send, js, until, errors, close,
		open: (url) => send('Page.navigate', { url }) };
}

// TAP lines without a plan (the calling shell script counts them)
let n = 0;
export function ok(pass, name, diag) {
	n++;
	console.log(`${pass ? '' : 'not '}ok ${n} - ${name}`);
	if (!pass && diag !== undefined) console.log(`#   ${String(diag).split('\n').join('\n#   ')}`);
	return pass;
}
