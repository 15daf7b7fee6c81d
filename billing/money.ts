/**
 * Writing money. Amounts are bigint hundredths of a Toman ("cents", pricing.ts' TomanHundredths), exactly what a
 * numeric(10,2) column of Tomans holds. Parsing and pricing live in pricing.ts.
 */

/** Cents as a plain decimal string for SQL numeric(10,2): 300000n → "3000.00". */
export function centsToDecimal(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Cents for people, with thousands separators as in the seed's log: 300000n → "3,000.00". */
export function formatTomans(cents: bigint): string {
  const [whole, fraction] = centsToDecimal(cents).split('.') as [string, string];
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

const COUNT_FORMAT = new Intl.NumberFormat('en-US');

/** A whole number with thousands separators: 150000 → "150,000". */
export function formatCount(n: number | bigint): string {
  // One formatter for every call: toLocaleString would build a new one each time.
  return COUNT_FORMAT.format(BigInt(n));
}
