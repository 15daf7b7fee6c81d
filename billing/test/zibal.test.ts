import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeZibal, startFakeZibal } from '../../test/fakes/zibal.js';
import { ZIBAL_RESULTS, ZibalClient, ZibalError, ZibalUnavailableError } from '../zibal.js';

let zibal: FakeZibal;
let client: ZibalClient;
const request = (orderId: string, amount = 30_000) =>
  client.requestPayment({
    amount,
    callbackUrl: 'https://docuchat.example.com/cb',
    description: 'test',
    orderId,
  });

beforeAll(async () => {
  zibal = await startFakeZibal();
  client = new ZibalClient({
    merchant: 'zibal',
    baseUrl: zibal.url,
    timeoutMs: 300,
    retries: 2,
    retryDelayMs: 5,
  });
});
afterAll(() => zibal.close());
beforeEach(() => zibal.reset());

describe('Zibal client', () => {
  it('creates a payment and points at the payment page', async () => {
    const created = await request('acme-2025-10-05');
    expect(created.paymentUrl).toBe(`${zibal.url}/start/${created.trackId}`);
    expect(zibal.payments.get(created.trackId)).toMatchObject({ amount: 30_000, orderId: 'acme-2025-10-05' });
  });

  for (const code of [102, 103, 104, 105, 106, 113]) {
    it(`turns request result ${code} into a clear error and does not retry it`, async () => {
      zibal.fault('request', { result: code });
      const error = await request(`o-${code}`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ZibalError);
      expect((error as ZibalError).result).toBe(code);
      expect((error as Error).message).toContain(ZIBAL_RESULTS[code]!);
      expect(zibal.callsTo('request')).toHaveLength(1);
    });
  }

  it('gets result 105 from the gateway itself for an amount below 1,000 Rials', async () => {
    await expect(request('small', 999)).rejects.toThrow('amount must be at least 1,000 Rials');
  });

  it('answers an unknown merchant with 102', async () => {
    const stranger = new ZibalClient({ merchant: 'nobody', baseUrl: zibal.url, retries: 0 });
    await expect(stranger.inquiry('1')).rejects.toMatchObject({ result: 102 });
  });

  it('verifies a paid payment once; a second verify is result 201 and reads the state by inquiry', async () => {
    const { trackId } = await request('pay-1');
    zibal.pay(trackId);
    const first = await client.verify(trackId);
    expect(first).toMatchObject({ alreadyVerified: false, amount: 30_000, orderId: 'pay-1', status: 1 });
    expect(first.refNumber).toMatch(/^\d+$/);
    const again = await client.verify(trackId);
    expect(again).toMatchObject({ alreadyVerified: true, amount: 30_000, orderId: 'pay-1', status: 1 });
  });

  it('reports 202 for an unpaid or cancelled payment and 203 for an unknown trackId', async () => {
    const { trackId } = await request('unpaid');
    await expect(client.verify(trackId)).rejects.toMatchObject({ result: 202 });
    zibal.cancel(trackId);
    await expect(client.verify(trackId)).rejects.toMatchObject({ result: 202 });
    await expect(client.verify('999')).rejects.toMatchObject({ result: 203 });
  });

  it('retries verify and inquiry on timeouts, 5xx and malformed bodies', async () => {
    const { trackId } = await request('flaky');
    zibal.fault('inquiry', { hang: true });
    zibal.fault('inquiry', { httpStatus: 502 });
    const state = await client.inquiry(trackId);
    expect(state.status).toBe(-1);
    zibal.fault('verify', { malformed: true, times: 3 });
    await expect(client.verify(trackId)).rejects.toThrow(ZibalUnavailableError);
    expect(zibal.callsTo('verify')).toHaveLength(3);
  });

  it('after a lost answer asks for the orderId before requesting again, and finds the first payment', async () => {
    zibal.fault('request', { loseAnswer: true });
    const created = await request('lost-1');
    expect(created.recovered).toBe(true);
    expect(zibal.payments.size).toBe(1);
    expect(zibal.callsTo('request')).toHaveLength(1);
  });

  it('requests again only when Zibal knows no payment for the orderId', async () => {
    zibal.fault('request', { httpStatus: 503 });
    const created = await request('down-1');
    expect(created.recovered).toBe(false);
    expect(zibal.callsTo('inquiry')[0]?.body).toEqual({ merchant: 'zibal', orderId: 'down-1' });
    expect(zibal.payments.size).toBe(1);
  });

  it('gives up with a network error naming the timeout when Zibal never answers', async () => {
    zibal.fault('request', { hang: true, times: 5 });
    await expect(request('hang-1')).rejects.toThrow(/no answer within 300 ms/);
  });
});
