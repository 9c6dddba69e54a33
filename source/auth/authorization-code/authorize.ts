/*
One authorization under the store's lock — a refresh, the answer to a 401, or a step-up to a larger scope: reuse what another request or instance obtained meanwhile, else set aside what the reason makes useless, ask the SDK, and sign the user in when it needs them.
*/
/* eslint-disable @typescript-eslint/naming-convention -- OAuth fields are spelled as the RFCs spell them. */
import {randomBytes} from 'node:crypto';
import {AuthError} from '../../errors.js';
import {isLoopbackHost} from '../../loopback.js';
import type {StoredAuth} from '../token-store.js';
import {expiring, type Flow} from './sdk-provider.js';
import {
	browserSignIn, deviceSignIn, freePort, runAuth, type Challenge,
} from './sign-in.js';

/**
Why authorization runs: tokens about to expire, a 401, or a 403 asking for a larger scope.
*/
export type Reason = 'refresh' | 'unauthorized' | 'step-up';

/**
The record as `reason` leaves it before the SDK runs: discovery starts afresh unless refreshing (the challenge may point to other metadata than last time); a step-up drops the tokens (a refresh keeps the old scope: the larger one needs the user); a 401 drops the refused access token but keeps its refresh token, which may still work.
*/
export function setAside(record: StoredAuth, reason: Reason): void {
	if (reason !== 'refresh') {
		delete record.discovery;
	}

	if (reason === 'step-up') {
		delete record.tokens;
	} else if (reason === 'unauthorized' && record.tokens) {
		const {refresh_token, issuer} = record.tokens;
		if (refresh_token === undefined) {
			delete record.tokens;
		} else {
			record.tokens = {
				access_token: '', token_type: 'Bearer', refresh_token, ...(issuer === undefined ? {} : {issuer}),
			};
		}
	}
}

async function obtain(flow: Flow, reason: Reason, challenge: Challenge): Promise<void> {
	const {
		serverUrl, host, configuredPort, deviceCode, logger,
	} = flow.settings;
	if (configuredPort === 0 && flow.port === 0) {
		flow.port = await freePort();
	}

	const {protocol, hostname} = new URL(serverUrl);
	if (reason !== 'refresh' && protocol === 'http:' && !isLoopbackHost(hostname)) {
		logger.warning(`Signing in to ${host} over unencrypted HTTP: anyone on the path can read the tokens. Use https:// if the server offers it.`);
	}

	flow.state = randomBytes(24).toString('base64url');
	flow.pending = undefined;
	const result = await runAuth(flow, challenge);
	if (result === 'AUTHORIZED') {
		logger.debug(`${reason === 'refresh' ? 'Refreshed' : 'Obtained'} the access token for ${host}`);
		return;
	}

	if (!flow.pending) {
		throw new AuthError(`Authorization with ${host} needs a sign-in, but no authorization URL came out`);
	}

	await (deviceCode ? deviceSignIn(flow, challenge) : browserSignIn(flow, flow.pending, challenge));
}

/**
Authorize for `reason` holding the store's lock, so several proxy instances for one server share one sign-in. `refused` is the `Authorization` header the server refused (or the one about to expire): tokens found in the store that differ from it are used as they are.
*/
export async function authorize(flow: Flow, reason: Reason, challenge: Challenge, refused: string | undefined): Promise<void> {
	const {store, now, host, logger} = flow.settings;
	return store.withLock(async () => {
		const record = await store.load();
		flow.record = record;
		const freshHeader = record.tokens?.access_token ? `Bearer ${record.tokens.access_token}` : undefined;
		// Another instance (or an earlier request) already signed in or refreshed while we waited for the lock.
		if (freshHeader !== undefined && !expiring(record.tokens, now()) && freshHeader !== refused) {
			logger.debug(`Using the tokens for ${host} that another request or instance obtained`);
			return;
		}

		// What a step-up gives up: restored if the user never completes the larger sign-in, so the tokens that still work for everything else are not lost.
		const previous = record.tokens;
		try {
			setAside(record, reason);
			await obtain(flow, reason, challenge);
		} catch (error) {
			if (reason === 'step-up' && previous !== undefined && record.tokens === undefined) {
				record.tokens = previous;
				await store.save(record).catch(() => undefined);
			}

			throw error;
		}
	});
}
