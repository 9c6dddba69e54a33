/**
Cut `bytes` at the given offsets (any order, duplicates allowed, multi-byte characters split wherever they fall): the chunking a property test lets fast-check choose.

@example
```
chunk(Buffer.from('abc'), [1]); //=> [a, bc]
```
*/
export function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
	const points = [...new Set(cuts.map(cut => cut % (bytes.length + 1)))].toSorted((a, b) => a - b);
	const chunks: Uint8Array[] = [];
	let start = 0;
	for (const point of points) {
		chunks.push(bytes.subarray(start, point));
		start = point;
	}

	chunks.push(bytes.subarray(start));
	return chunks;
}
