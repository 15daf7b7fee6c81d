/**
 * A local stand-in for Zibal's payment gateway, driven in tests through our own Zibal client (billing/zibal.ts)
 * and through the real callback route.
 *
 * It speaks Zibal's HTTP API: `POST /v1/request`, `POST /v1/verify`, `POST /v1/inquiry` (by trackId or orderId),
 * and the payment page `GET /start/{trackId}`, which "pays" and redirects to the callbackUrl with the query Zibal
 * sends (trackId, success, status, orderId). It validates like Zibal: unknown merchant → 102, amount below 1,000
 * Rials → 105, callbackUrl not http(s) → 106, amount above the limit → 113, verify of an unpaid payment → 202,
 * of a verified one → 201, unknown trackId → 203.
 *
 * Switches force any result code, an HTTP status, a hang (the client's timeout must fire), a body that is not
 * JSON, or a request that is processed and then loses its answer (the socket is destroyed) — the case where only
 * an inquiry by orderId can tell whether a payment was created. Every call is recorded.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ZibalEndpoint = 'request' | 'verify' | 'inquiry';

export interface ZibalFault {
  /** Answer `{result, message}` with this result code instead of processing. */
  result?: number;
  /** Answer with this HTTP status and an HTML body. */
  httpStatus?: number;
  /** Never answer. */
  hang?: boolean;
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /** Process the call normally, then destroy the socket instead of answering. */
  loseAnswer?: boolean;
  /** Apply to the next N calls of the endpoint. @default 1 */
  times?: number;
}

export interface FakePayment {
  trackId: string;
  merchant: string;
  amount: number;
  callbackUrl: string;
  description: string;
  orderId: string;
  /** -1 waiting, 1 verified, 2 paid not verified, 3 cancelled. */
  status: number;
  refNumber: string | undefined;
  paidAt: string | undefined;
  verifiedAt: string | undefined;
  /** What the bank reports as paid, normally `amount`. */
  paidAmount: number;
}

export interface ZibalCall {
  endpoint: ZibalEndpoint;
  // biome-ignore lint/suspicious/noExplicitAny: whatever JSON the client sent
  body: any;
}

export interface FakeZibal {
  /** Base URL for ZIBAL_BASE_URL. */
  url: string;
  readonly calls: ZibalCall[];
  readonly payments: Map<string, FakePayment>;
  /** Queue a fault for the next call(s) of an endpoint. */
  fault(endpoint: ZibalEndpoint, fault: ZibalFault): void;
  /** The customer pays on the payment page; `amount` overrides what the bank reports (for mismatch tests). */
  pay(trackId: string, options?: { amount?: number }): FakePayment;
  /** The customer cancels on the payment page. */
  cancel(trackId: string): void;
  /** The callback URL Zibal redirects the customer to, with its query. */
  callbackUrl(trackId: string, options?: { success?: boolean }): string;
  /** Calls of one endpoint. */
  callsTo(endpoint: ZibalEndpoint): ZibalCall[];
  reset(): void;
  close(): Promise<void>;
}

export interface FakeZibalOptions {
  /** Merchants accepted besides the sandbox `zibal`. */
  merchants?: string[];
  /** Transaction limit in Rials (result 113 above it). @default 500,000,000 */
  maxAmount?: number;
}

export async function startFakeZibal(options: FakeZibalOptions = {}): Promise<FakeZibal> {
  const merchants = new Set(['zibal', ...(options.merchants ?? [])]);
  const maxAmount = options.maxAmount ?? 500_000_000;
  const calls: ZibalCall[] = [];
  const payments = new Map<string, FakePayment>();
  const faults: Record<ZibalEndpoint, ZibalFault[]> = { request: [], verify: [], inquiry: [] };
  const sockets = new Set<Socket>();
  let nextTrackId = 3_000_000_001;
  let nextRef = 700_001;

  const takeFault = (endpoint: ZibalEndpoint): ZibalFault | undefined => {
    const queue = faults[endpoint];
    const fault = queue[0];
    if (!fault) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) queue.shift();
    return fault;
  };

  const describe = (p: FakePayment) => ({
    trackId: Number(p.trackId),
    amount: p.status === 1 || p.status === 2 ? p.paidAmount : p.amount,
    orderId: p.orderId,
    description: p.description,
    status: p.status,
    refNumber: p.refNumber === undefined ? undefined : Number(p.refNumber),
    paidAt: p.paidAt,
    verifiedAt: p.verifiedAt,
    cardNumber: p.paidAt ? '603799******1234' : undefined,
    wage: 0,
    createdAt: '2025-10-06T03:00:00.000+03:30',
  });

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are untyped JSON
  const handlers: Record<ZibalEndpoint, (body: any) => Record<string, unknown>> = {
    request(body) {
      if (!merchants.has(body.merchant)) return { result: 102, message: 'merchant یافت نشد.' };
      const amount = body.amount;
      if (!Number.isInteger(amount) || amount < 1000)
        return { result: 105, message: 'amount بایستی بزرگتر از 1,000 ریال باشد.' };
      if (amount > maxAmount)
        return { result: 113, message: 'amount مبلغ تراکنش از سقف میزان تراکنش بیشتر است.' };
      if (typeof body.callbackUrl !== 'string' || !/^https?:\/\//.test(body.callbackUrl)) {
        return { result: 106, message: 'callbackUrl نامعتبر می‌باشد.' };
      }
      const trackId = String(nextTrackId++);
      payments.set(trackId, {
        trackId,
        merchant: body.merchant,
        amount,
        callbackUrl: body.callbackUrl,
        description: String(body.description ?? ''),
        orderId: String(body.orderId ?? ''),
        status: -1,
        refNumber: undefined,
        paidAt: undefined,
        verifiedAt: undefined,
        paidAmount: amount,
      });
      return { result: 100, trackId: Number(trackId), message: 'success' };
    },
    verify(body) {
      if (!merchants.has(body.merchant)) return { result: 102, message: 'merchant یافت نشد.' };
      const payment = payments.get(String(body.trackId));
      if (!payment || payment.merchant !== body.merchant)
        return { result: 203, message: 'trackId نامعتبر می‌باشد.' };
      if (payment.status === 1) return { result: 201, message: 'قبلا تایید شده.' };
      if (payment.status !== 2) return { result: 202, message: 'سفارش پرداخت نشده یا ناموفق بوده است.' };
      payment.status = 1;
      payment.verifiedAt = '2025-10-06T09:00:00.000+03:30';
      const {
        trackId: _trackId,
        verifiedAt: _verifiedAt,
        wage: _wage,
        createdAt: _createdAt,
        ...answer
      } = describe(payment);
      return { result: 100, message: 'success', ...answer };
    },
    inquiry(body) {
      if (!merchants.has(body.merchant)) return { result: 102, message: 'merchant یافت نشد.' };
      const payment =
        body.trackId !== undefined
          ? payments.get(String(body.trackId))
          : [...payments.values()].reverse().find((p) => p.orderId === String(body.orderId));
      if (!payment || payment.merchant !== body.merchant)
        return { result: 203, message: 'trackId نامعتبر می‌باشد.' };
      return { result: 100, message: 'success', ...describe(payment) };
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const start = /^\/start\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && start) {
      const payment = payments.get(start[1]!);
      if (!payment) {
        res.writeHead(404).end('unknown trackId');
        return;
      }
      fake.pay(payment.trackId);
      res.writeHead(302, { location: fake.callbackUrl(payment.trackId) }).end();
      return;
    }
    const endpoint = /^\/v1\/(request|verify|inquiry)$/.exec(url.pathname)?.[1] as ZibalEndpoint | undefined;
    if (req.method !== 'POST' || !endpoint) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404</h1>');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ result: -1 }));
        return;
      }
      calls.push({ endpoint, body });
      const fault = takeFault(endpoint);
      if (fault?.hang) return;
      if (fault?.httpStatus) {
        res.writeHead(fault.httpStatus, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
        return;
      }
      if (fault?.malformed) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
        return;
      }
      const answer =
        fault?.result !== undefined
          ? { result: fault.result, message: `forced ${fault.result}` }
          : handlers[endpoint](body);
      if (fault?.loseAnswer) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeZibal = {
    url: `http://127.0.0.1:${port}`,
    calls,
    payments,
    fault(endpoint, f) {
      faults[endpoint].push({ ...f });
    },
    pay(trackId, opts = {}) {
      const payment = payments.get(trackId);
      if (!payment) throw new Error(`fake Zibal: no payment ${trackId}`);
      if (payment.status === -1) {
        payment.status = 2;
        payment.refNumber = String(nextRef++);
        payment.paidAt = '2025-10-06T08:59:00.000+03:30';
        payment.paidAmount = opts.amount ?? payment.amount;
      }
      return payment;
    },
    cancel(trackId) {
      const payment = payments.get(trackId);
      if (payment && payment.status === -1) payment.status = 3;
    },
    callbackUrl(trackId, opts = {}) {
      const payment = payments.get(trackId);
      if (!payment) throw new Error(`fake Zibal: no payment ${trackId}`);
      const success = opts.success ?? (payment.status === 1 || payment.status === 2);
      const query = new URLSearchParams({
        trackId,
        success: success ? '1' : '0',
        status: String(success ? 2 : payment.status),
        orderId: payment.orderId,
      });
      return `${payment.callbackUrl}?${query}`;
    },
    callsTo(endpoint) {
      return calls.filter((c) => c.endpoint === endpoint);
    },
    reset() {
      calls.length = 0;
      payments.clear();
      for (const key of Object.keys(faults) as ZibalEndpoint[]) faults[key] = [];
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
