/*
Telling loopback addresses apart: the one question both the listener (what it binds to) and the clients (where credentials may go over plain HTTP) ask.
*/
/**
Whether a host name or address is on this machine only: `localhost` and its subdomains (RFC 6761), 127.0.0.0/8, `::1` (in either spelling) or `::ffff:127.x.x.x`, with or without URL brackets.

Used both for addresses we bind to (a loopback bind turns on the `Host` check against DNS rebinding, and may run without an API key) and for addresses we send credentials to (plain `http:` is refused elsewhere).

@example
```
isLoopbackHost('[::1]'); //=> true
isLoopbackHost('127.0.0.2'); //=> true
isLoopbackHost('0.0.0.0'); //=> false
```
*/
export function isLoopbackHost(host: string): boolean {
	const bare = host.replaceAll(/^\[|]$/g, '').toLowerCase();
	return bare === 'localhost'
		|| bare.endsWith('.localhost')
		|| bare === '::1'
		|| bare === '0:0:0:0:0:0:0:1'
		|| /^(?:::ffff:)?127(?:\.\d{1,3}){3}$/.test(bare);
}
