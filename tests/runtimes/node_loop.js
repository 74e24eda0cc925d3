// SPDX-License-Identifier: MIT
// node_loop.js LOG DATA SOCK STOP - a Node.js event loop with one of each
// thing libuv keeps in the kernel, for tests/runtimes/node_loop.sh:
//   - a setInterval timer (10 ms) that counts ticks,
//   - a promise chain: each link resolves after a setTimeout or a
//     setImmediate and folds its number into a hash,
//   - an fs.promises loop (libuv's thread pool) writing fixed-width line i
//     at offset i * width of DATA (so a restored process that writes
//     lines again writes the same bytes at the same place),
//   - a net server listening on the unix socket SOCK, and a client in the
//     same process connected to it: "ping N payload" -> "pong N payload",
//     each checked, in order.
// A round is counted when all four have moved since the last one; every
// 10th round is logged as "progress ROUND ...".  When STOP exists,
// everything stops; a new connection to the listener must still be
// answered; the data file must hold exactly the lines written; then
// "DONE ..." and exit 0.  Any mismatch: "FAIL ..." and exit 1.
'use strict';
const fs = require('fs');
const fsp = require('fs/promises');
const net = require('net');

const [logPath, dataPath, sockPath, stopPath] = process.argv.slice(2);
const logFd = fs.openSync(logPath, 'a');
function log(s) { fs.writeSync(logFd, s + '\n'); }
function fail(s) { log('FAIL ' + s); process.exit(1); }
process.on('uncaughtException', (e) => fail('uncaught exception: ' + (e && e.stack || e)));
process.on('unhandledRejection', (e) => fail('unhandled rejection: ' + (e && e.stack || e)));

const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const immediate = () => new Promise((r) => setImmediate(r));
const mix = (h, v) => (Math.imul(h ^ v, 0x9e3779b1) + 0x7f4a7c15) >>> 0;
const payload = (n) => 'x'.repeat(n % 97) + String(n * 7919);

let stopping = false;
let ticks = 0, chain = 0, chainHash = 1, lines = 0, pongs = 0;
let rounds = 0;
const moved = { tick: false, chain: false, line: false, pong: false };

// the promise chain
function link(v) {
	if (stopping)
		return Promise.resolve(v);
	const wait = v % 2 ? delay(3) : immediate();
	return wait.then(() => {
		chain = v + 1;
		chainHash = mix(chainHash, chain);
		moved.chain = true;
		return link(v + 1);
	});
}

// the fs.promises loop
const LINE = (i) => 'line ' + String(i).padStart(10, '0') + '\n';
const WIDTH = LINE(0).length;
async function fileLoop() {
	const fh = await fsp.open(dataPath, 'w');
	while (!stopping) {
		const s = LINE(lines);
		const { bytesWritten } = await fh.write(s, lines * WIDTH);
		if (bytesWritten !== WIDTH)
			fail(`short write of line ${lines}: ${bytesWritten}`);
		lines++;
		moved.line = true;
		await delay(4);
	}
	await fh.close();
}

// line-splitting reader on a socket
function onLines(sock, fn) {
	let buf = '';
	sock.setEncoding('utf8');
	sock.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			const l = buf.slice(0, i);
			buf = buf.slice(i + 1);
			fn(l);
		}
	});
}

function serve(conn) {
	onLines(conn, (l) => {
		const m = /^ping (-?\d+) (.*)$/.exec(l);
		if (!m)
			fail(`server got '${l.slice(0, 80)}'`);
		conn.write(`pong ${m[1]} ${m[2]}\n`);
	});
	conn.on('error', (e) => fail('server side of a connection: ' + e.message));
}

let client;
let pingsSent = 0;
function startClient(done) {
	client = net.connect(sockPath);
	client.on('error', (e) => fail('client: ' + e.message));
	client.on('end', () => { if (!stopping) fail(`the self-connection was closed after ${pongs} pongs`); });
	client.on('connect', () => { sendPing(); done(); });
	onLines(client, (l) => {
		const m = /^pong (\d+) (.*)$/.exec(l);
		const want = pongs + 1;
		if (!m || Number(m[1]) !== want || m[2] !== payload(want))
			fail(`expected pong ${want}, got '${l.slice(0, 80)}'`);
		pongs = want;
		moved.pong = true;
		if (!stopping)
			setTimeout(sendPing, 3);
	});
}
function sendPing() {
	if (stopping || pingsSent > pongs)
		return;
	pingsSent++;
	client.write(`ping ${pingsSent} ${payload(pingsSent)}\n`);
}

// a new connection to the listener, after everything else stopped
function freshConnection() {
	return new Promise((resolve) => {
		const c = net.connect(sockPath);
		c.on('error', (e) => fail('a new connection to the listener: ' + e.message));
		onLines(c, (l) => {
			if (l !== 'pong -1 fresh')
				fail(`a new connection got '${l.slice(0, 80)}'`);
			c.end();
			resolve();
		});
		c.write('ping -1 fresh\n');
	});
}

async function finish(server, fileDone, chainDone) {
	await fileDone;
	const chainEnd = await chainDone;
	// in flight when stopping: the last ping's answer
	for (let i = 0; i < 200 && pongs < pingsSent; i++)
		await delay(5);
	if (pongs !== pingsSent)
		fail(`${pingsSent} pings sent, ${pongs} pongs received`);
	await freshConnection();
	client.end();
	server.close();
	// the chain again, uninterrupted, must give the same hash
	let h = 1;
	for (let v = 1; v <= chainEnd; v++)
		h = mix(h, v);
	if (chainEnd !== chain || h !== chainHash)
		fail(`promise chain: ${chain} links, hash ${chainHash}, expected ${h} for ${chainEnd}`);
	// the data file holds lines 0 .. lines-1, once each, in order
	const data = fs.readFileSync(dataPath, 'utf8');
	let want = '';
	for (let i = 0; i < lines; i++)
		want += LINE(i);
	if (data !== want)
		fail(`the data file (${data.length} bytes) is not lines 0..${lines - 1} (${want.length} bytes)`);
	log(`DONE rounds=${rounds} ticks=${ticks} chain=${chain} lines=${lines} pongs=${pongs} pid=${process.pid}`);
	process.exit(0);
}

try { fs.unlinkSync(sockPath); } catch (e) { /* not there */ }
const server = net.createServer(serve);
server.on('error', (e) => fail('listener: ' + e.message));
server.listen(sockPath, () => {
	startClient(() => {
		const fileDone = fileLoop();
		const chainDone = link(0);
		const iv = setInterval(() => {
			ticks++;
			moved.tick = true;
			if (moved.tick && moved.chain && moved.line && moved.pong) {
				rounds++;
				for (const k in moved)
					moved[k] = false;
				if (rounds % 10 === 0)
					log(`progress ${rounds} ticks=${ticks} chain=${chain} lines=${lines} pongs=${pongs}`);
			}
			if (fs.existsSync(stopPath)) {
				stopping = true;
				clearInterval(iv);
				finish(server, fileDone, chainDone);
			}
		}, 10);
		log(`started pid=${process.pid} node=${process.version}`);
	});
});
