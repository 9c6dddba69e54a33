// Did `npm install` keep to the lock file? Compares the committed lock with the one npm left, package by package,
// ignoring optional packages for other platforms: whether the registry reachable here offers them (some mirrors
// lack e.g. @unrs/resolver-binding-android-arm-eabi) must not decide whether CI passes. Exits 1 on any other change.
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import process from 'node:process';

const committed = JSON.parse(execFileSync('git', ['show', 'HEAD:package-lock.json'], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})).packages;
const installed = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;

const foreign = entry => entry?.optional === true && (
	(entry.os !== undefined && !entry.os.includes(process.platform))
	|| (entry.cpu !== undefined && !entry.cpu.includes(process.arch))
);

const problems = [];
for (const name of new Set([...Object.keys(committed), ...Object.keys(installed)])) {
	const before = committed[name];
	const after = installed[name];
	if (JSON.stringify(before) === JSON.stringify(after) || foreign(before ?? after)) {
		continue;
	}

	problems.push(before === undefined ? `added ${name}` : (after === undefined ? `removed ${name}` : `changed ${name}`));
}

if (problems.length > 0) {
	process.stderr.write(`npm install changed the lock file:\n${problems.map(line => `  ${line}`).join('\n')}\n`);
	process.exitCode = 1;
} else {
	process.stdout.write('The lock file was kept (optional packages for other platforms aside).\n');
}
