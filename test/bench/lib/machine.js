// A description of the machine the benchmark ran on, for the table and the JSON.
import {readFileSync} from 'node:fs';
import os from 'node:os';
import process from 'node:process';

/** CPU model, cores, memory, OS, Node version and the load when the run started. */
export function describeMachine() {
	const cpus = os.cpus();
	return {
		cpu: cpus[0]?.model.replaceAll(/\s+/g, ' ').trim() ?? 'unknown',
		cores: cpus.length,
		memoryGiB: Math.round(os.totalmem() / (1024 ** 3)),
		os: `${os.type()} ${os.release()} ${os.arch()}`,
		node: process.version,
		loadAverage: os.loadavg().map(load => Number(load.toFixed(2))),
	};
}

/** One line for the table: "Intel … (2 cores), 24 GiB, Linux 6.1 x64, Node v20.20.2". */
export function machineLine(machine) {
	return `${machine.cpu} (${machine.cores} cores), ${machine.memoryGiB} GiB RAM, ${machine.os}, Node ${machine.node}`;
}

/**
CPU seconds used so far by this process and its reaped children (all the processes the run started and ended),
from /proc/self/stat; compared with the wall-clock time it shows how busy the machine was. Undefined off Linux.
*/
export function cpuSecondsUsed() {
	try {
		const stat = readFileSync('/proc/self/stat', 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// Fields 14–17 of stat (utime, stime, cutime, cstime) are at 11–14 after the command name, in ticks of 1/100 s.
		return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
	} catch {
		return undefined;
	}
}
