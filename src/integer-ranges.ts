// Whole numbers written as runs, the way people list byte offsets and cores:
// [0, 1, 2, 3, 8, 9, 12] -> "0-3, 8-9, 12". Used for the bytes two values
// differ in (maps, kernel-check) and for a stage's cores (reports).
export function formatIntegerRanges(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return runs.join(", ");
}
