/*
The package's version, read once from its package.json.
*/
import {readFileSync} from 'node:fs';

/**
This package's version, read from its package.json (one level above both `source/` and `distribution/`).
*/
export const packageVersion: string = (() => {
	try {
		const data = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version?: string};
		return data.version ?? '0.0.0';
	} catch {
		return '0.0.0';
	}
})();
