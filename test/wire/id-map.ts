import test from 'ava';
import fc from 'fast-check';
import {IdMap} from '../../source/wire/id-map.js';

test('an IdMap behaves as a Map, below and above the size where it moves its entries to one', t => {
	const operation = fc.oneof(
		fc.record({kind: fc.constant('set' as const), key: fc.oneof(fc.integer({min: 0, max: 40}), fc.constantFrom('1', '2', 'a')), value: fc.integer()}),
		fc.record({kind: fc.constant('delete' as const), key: fc.oneof(fc.integer({min: 0, max: 40}), fc.constantFrom('1', '2', 'a'))}),
		fc.record({kind: fc.constant('clear' as const)}),
	);
	fc.assert(fc.property(fc.array(operation, {maxLength: 300}), operations => {
		const expected = new Map<number | string, number>();
		const actual = new IdMap<number | string, number>();
		const deletedActual: boolean[] = [];
		const deletedExpected: boolean[] = [];
		const sizes: Array<[number, number]> = [];
		for (const each of operations) {
			switch (each.kind) {
				case 'set': {
					expected.set(each.key, each.value);
					actual.set(each.key, each.value);
					break;
				}

				case 'delete': {
					deletedActual.push(actual.delete(each.key));
					deletedExpected.push(expected.delete(each.key));
					break;
				}

				case 'clear': {
					expected.clear();
					actual.clear();
					break;
				}
			}

			sizes.push([actual.size, expected.size]);
		}

		t.deepEqual(deletedActual, deletedExpected);
		t.true(sizes.every(([a, b]) => a === b));

		const byText = (a: string, b: string) => a.localeCompare(b);
		const byNumber = (a: number, b: number) => a - b;
		const sorted = (entries: Array<[number | string, number]>) => entries.map(([key, value]) => `${typeof key}:${key}=${value}`).toSorted(byText);
		t.deepEqual(sorted(actual.entries()), sorted([...expected]));
		t.deepEqual(actual.values().toSorted(byNumber), [...expected.values()].toSorted(byNumber));
		for (const key of [...expected.keys(), 99, '99']) {
			t.is(actual.get(key), expected.get(key));
			t.is(actual.has(key), expected.has(key));
		}

		// 1 and '1' are different ids (the keys mix them).
		return true;
	}), {numRuns: 300});
});

test('the entries of an IdMap are a snapshot: deleting while walking them visits every entry once', t => {
	for (const size of [3, 40]) {
		const map = new IdMap<number, string>();
		for (let index = 0; index < size; index++) {
			map.set(index, `v${index}`);
		}

		const seen: number[] = [];
		for (const [key] of map.entries()) {
			seen.push(key);
			map.delete(key);
		}

		t.deepEqual(seen.toSorted((a, b) => a - b), Array.from({length: size}, (_, index) => index));
		t.is(map.size, 0);
		// Emptied, it takes entries again (back in its arrays).
		map.set(1, 'again');
		t.is(map.get(1), 'again');
	}
});
