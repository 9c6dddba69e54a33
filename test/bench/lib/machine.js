// A description of the machine the benchmark ran on, for the table and the JSON.
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
