/*
Table tests of which hosts are on this machine only (source/loopback.ts): what turns on the Host check and lets a listener run without an API key, and where credentials may go over plain HTTP.
*/
import test from 'ava';
import {isLoopbackHost} from '../source/loopback.js';

test('localhost and its subdomains, 127.0.0.0/8 and ::1 in every spelling are loopback; anything else is not', t => {
	const loopback = [
		'localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.0.0.2', '127.255.255.255', '::1', '[::1]', '0:0:0:0:0:0:0:1', '[0:0:0:0:0:0:0:1]', '::ffff:127.0.0.1', '[::ffff:127.0.0.1]',
	];
	const elsewhere = ['0.0.0.0', '::', '[::]', 'example.com', 'localhost.example.com', 'notlocalhost', '128.0.0.1', '10.0.0.1', '127.0.0.1.example.com', '1270.0.0.1', '::2', '::ffff:10.0.0.1', ''];
	for (const host of loopback) {
		t.true(isLoopbackHost(host), `${host}`);
	}

	for (const host of elsewhere) {
		t.false(isLoopbackHost(host), `${host}`);
	}
});
