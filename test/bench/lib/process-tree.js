// Process trees through /proc (Linux): the descendants of a pid and the summed RSS of a whole tree.
import {readdirSync, readFileSync} from 'node:fs';

function readProc(path) {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return undefined; // The process is gone.
	}
}

/** Map of pid → parent pid for every live process. */
function parentMap() {
	const parents = new Map();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) {
			continue;
		}

		const stat = readProc(`/proc/${entry}/stat`);
		if (stat === undefined) {
			continue;
		}

		// The command name (field 2) is in parentheses and may hold spaces: read after the last ')'.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		parents.set(Number(entry), Number(fields[1]));
	}

	return parents;
}

/**
The given pids and all their live descendants.
@param {number[]} roots
@returns {number[]}
*/
export function treePids(roots) {
	const parents = parentMap();
	const children = new Map();
	for (const [pid, parent] of parents) {
		const list = children.get(parent) ?? [];
		list.push(pid);
		children.set(parent, list);
	}

	const seen = new Set();
	const queue = roots.filter(pid => parents.has(pid));
	while (queue.length > 0) {
		const pid = queue.pop();
		if (seen.has(pid)) {
			continue;
		}

		seen.add(pid);
		queue.push(...(children.get(pid) ?? []));
	}

	return [...seen];
}

/** Resident set size of one process in bytes (0 when it is gone). */
export function rssOf(pid) {
	const status = readProc(`/proc/${pid}/status`);
	const match = status?.match(/^VmRSS:\s+(\d+)\s+kB/m);
	return match ? Number(match[1]) * 1024 : 0;
}

/**
Summed RSS in bytes of the given pids and all their descendants, with the number of processes counted.
@param {number[]} roots
*/
export function treeRss(roots) {
	const pids = treePids(roots);
	let bytes = 0;
	for (const pid of pids) {
		bytes += rssOf(pid);
	}

	return {bytes, processes: pids.length};
}
