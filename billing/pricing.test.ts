import { describe, expect, it } from 'vitest';
import {
  PRICE_PER_1K_TOKENS_TOMANS,
  parseHundredths,
  priceTokens,
  tokenCostCents,
  tomansToRials,
} from './pricing.js';

describe('pricing', () => {
  it('lists 20 Tomans per 1000 tokens, the configuration default', () => {
    expect(PRICE_PER_1K_TOKENS_TOMANS).toBe('20');
  });

  it("prices the seed's example: 150,000 tokens cost 3,000.00 Tomans", () => {
    const amount = priceTokens({ tokens: 150_000 });
    expect(amount).toBe(300_000n); // hundredths of a Toman
    expect(tokenCostCents(150_000, '0')).toBe(amount);
    expect(tomansToRials(amount)).toBe(30_000n);
  });

  it('applies a tenant discount exactly', () => {
    expect(priceTokens({ tokens: 150_000, discountPercent: '12.50' })).toBe(262_500n);
    expect(priceTokens({ tokens: 150_000, discountPercent: '100' })).toBe(0n);
  });

  it('is exact where floating point is not', () => {
    // 0.1 + 0.2 style drift: 3 tokens at 20.10 per 1000 = 0.0603 Tomans → 0.06 after one rounding.
    expect(priceTokens({ tokens: 3, pricePer1kTokensTomans: '20.10' })).toBe(6n);
    // Sums of many small invoices stay exact.
    const total = Array.from({ length: 1000 }, () => priceTokens({ tokens: 1_500 })).reduce(
      (a, b) => a + b,
      0n,
    );
    expect(total).toBe(3_000_000n);
    // Beyond 2^53 tokens there is no precision loss.
    expect(priceTokens({ tokens: 10n ** 18n })).toBe(2n * 10n ** 18n);
  });

  it('rounds once, half up, to hundredths of a Toman; never charges a fraction of a Rial', () => {
    // 1 token × 20.50 / 1000 = 0.0205 Tomans → 0.02; 3 tokens → 0.0615 → 0.06; 5 tokens → 0.1025 → 0.10
    expect(priceTokens({ tokens: 1, pricePer1kTokensTomans: '20.50' })).toBe(2n);
    expect(priceTokens({ tokens: 25, pricePer1kTokensTomans: '20' })).toBe(50n);
    // 1 token at 5 Tomans/1000 = 0.005 Tomans: exactly half a hundredth rounds up.
    expect(priceTokens({ tokens: 1, pricePer1kTokensTomans: '5' })).toBe(1n);
    expect(tomansToRials(19n)).toBe(1n); // 0.19 Toman = 1.9 Rials: the 0.9 cannot be charged
    expect(tomansToRials(20n)).toBe(2n);
  });

  it('refuses malformed prices, discounts and token counts with a readable message', () => {
    expect(() => parseHundredths('20.505')).toThrow(/at most two places/);
    expect(() => priceTokens({ tokens: 1, discountPercent: '-5' })).toThrow(/discount percent/);
    expect(() => priceTokens({ tokens: 1, discountPercent: '150' })).toThrow(/at most 100/);
    expect(() => priceTokens({ tokens: -1 })).toThrow(/negative/);
    expect(() => priceTokens({ tokens: 1.5 })).toThrow();
  });
});
