/**
 * The one pricing module: what a number of language-model tokens costs, in Tomans, after a tenant discount.
 * The billing job and the "estimated cost" dashboard panel both read it, so they cannot disagree.
 *
 * Money is exact: amounts are `bigint` hundredths of a Toman (the seed's invoices show two decimals, e.g.
 * "3,000.00 Tomans"), prices and discounts are decimal strings, and there is exactly one rounding step.
 */
import { loadConfig } from '../app/config/index.js';

/**
 * List price per 1000 tokens in Tomans, as a decimal string (the seed's 20). It is the configuration's own
 * default for `PRICE_PER_1K_TOKENS_TOMANS`, so the dashboard and an unconfigured billing job agree.
 */
export const PRICE_PER_1K_TOKENS_TOMANS: string = loadConfig({}).PRICE_PER_1K_TOKENS_TOMANS;

/** An amount of money in hundredths of a Toman (1 Toman = 100 hundredths = 10 Rials). */
export type TomanHundredths = bigint;

const DECIMAL = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Parses a non-negative decimal with at most two places ("20", "20.5", "12.50") into hundredths.
 * @throws Error naming the expected form on anything else (negative, three decimals, exponent, empty).
 */
export function parseHundredths(decimal: string, what = 'amount'): bigint {
  const match = DECIMAL.exec(decimal.trim());
  if (!match)
    throw new Error(
      `${what} must be a non-negative decimal with at most two places, got ${JSON.stringify(decimal)}`,
    );
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

/** Integer division rounding half up (amounts here are never negative). */
function divideRoundingHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

export interface PriceTokensInput {
  /** Tokens used (prompt and completion together); a non-negative whole number. */
  readonly tokens: bigint | number;
  /** Tenant discount in percent as stored in `tenants.discount_percent` ("0" to "100", two places). @default '0' */
  readonly discountPercent?: string;
  /** Price per 1000 tokens in Tomans. @default PRICE_PER_1K_TOKENS_TOMANS */
  readonly pricePer1kTokensTomans?: string;
}

/**
 * The cost of `tokens` in hundredths of a Toman: tokens × price / 1000 × (100 − discount) / 100, computed
 * exactly and rounded once, half up, to the nearest hundredth of a Toman.
 *
 * @example priceTokens({ tokens: 150_000 }) === 300_000n // 3,000.00 Tomans (the seed's example)
 */
export function priceTokens(input: PriceTokensInput): TomanHundredths {
  const tokens = BigInt(input.tokens);
  if (tokens < 0n) throw new Error(`tokens must not be negative, got ${tokens}`);
  const price = parseHundredths(
    input.pricePer1kTokensTomans ?? PRICE_PER_1K_TOKENS_TOMANS,
    'price per 1000 tokens',
  );
  const discount = parseHundredths(input.discountPercent ?? '0', 'discount percent');
  if (discount > 100_00n)
    throw new Error(`discount percent must be at most 100, got ${input.discountPercent}`);
  // hundredths of a Toman = tokens × price(hundredths) / 1000 × (10000 − discount(hundredths of a percent)) / 10000
  return divideRoundingHalfUp(tokens * price * (100_00n - discount), 1000n * 100_00n);
}

/**
 * The same as {@link priceTokens}, positionally: `tokenCostCents(150_000, '0')` → `300_000n` (3,000.00 Tomans).
 * "Cents" are hundredths of a Toman.
 */
export function tokenCostCents(
  tokens: bigint | number,
  discountPercent: string,
  pricePer1kTokensTomans: string = PRICE_PER_1K_TOKENS_TOMANS,
): TomanHundredths {
  return priceTokens({ tokens, discountPercent, pricePer1kTokensTomans });
}

/**
 * Whole Rials for an amount, as payment gateways such as Zibal expect (1 Toman = 10 Rials). A hundredth of a
 * Toman is a tenth of a Rial, which cannot be charged: it is dropped, never rounded up, so nobody is asked for
 * more than the invoice says.
 */
export function tomansToRials(amount: TomanHundredths): bigint {
  if (amount < 0n) throw new Error(`amount must not be negative, got ${amount}`);
  return amount / 10n;
}
