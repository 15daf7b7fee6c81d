/**
 * Client for Zibal's payment gateway HTTP API (https://help.zibal.ir/IPG/API/):
 *   POST /v1/request {merchant, amount, callbackUrl, description, orderId} → {result: 100, trackId}
 *   GET  /start/{trackId}  — the payment page the customer opens
 *   POST /v1/verify  {merchant, trackId} → {result: 100 | 201, amount, refNumber, orderId, paidAt, ...}
 *   POST /v1/inquiry {merchant, trackId} (or orderId) → {result: 100, status, amount, refNumber, orderId, ...}
 * Amounts are whole Rials. The public sandbox merchant is `zibal` (ZIBAL_SANDBOX_MERCHANT): every request with it
 * is accepted and nothing is charged.
 */

import http from 'node:http';
import https from 'node:https';

export const ZIBAL_SANDBOX_MERCHANT = 'zibal';
/** Zibal refuses payment requests below 1,000 Rials (result 105); the billing job carries such amounts forward. */
export const ZIBAL_MINIMUM_RIALS = 1000;
export const ZIBAL_DEFAULT_BASE_URL = 'https://gateway.zibal.ir';

/** Every documented result code of /v1/request, /v1/verify and /v1/inquiry, with what it means. */
export const ZIBAL_RESULTS: Readonly<Record<number, string>> = {
  100: 'success',
  102: 'merchant not found: check ZIBAL_MERCHANT',
  103: 'merchant is inactive: activate the gateway in the Zibal panel',
  104: 'merchant is invalid: check ZIBAL_MERCHANT',
  105: 'amount must be at least 1,000 Rials',
  106: 'callbackUrl is invalid: it must start with http:// or https:// (check PUBLIC_BASE_URL)',
  107: 'percentMode is invalid',
  108: 'a multiplexing beneficiary is invalid',
  109: 'a multiplexing beneficiary is inactive',
  110: 'the self beneficiary is missing from multiplexingInfos',
  111: 'multiplexing shares do not add up to the amount',
  112: 'wallet balance too low for the fees',
  113: 'amount exceeds the transaction limit',
  114: 'national code is invalid',
  201: 'already verified',
  202: 'the order was not paid or the payment failed',
  203: 'trackId (or orderId) is invalid or unknown',
};

/** Payment status codes reported by /v1/verify and /v1/inquiry. */
export const ZIBAL_PAYMENT_STATUS = {
  waiting: -1,
  internalError: -2,
  verified: 1,
  paidNotVerified: 2,
  cancelledByUser: 3,
} as const;

/** Zibal answered with a result other than success: a refusal that repeating the same request will not change. */
export class ZibalError extends Error {
  override name = 'ZibalError';
  constructor(
    readonly endpoint: string,
    readonly result: number,
    gatewayMessage?: string,
  ) {
    super(
      `Zibal ${endpoint} refused with result ${result}: ${ZIBAL_RESULTS[result] ?? 'undocumented result code'}${
        gatewayMessage ? ` (${gatewayMessage})` : ''
      }`,
    );
  }
}

/**
 * Zibal could not be reached or gave no usable answer (connection error, timeout, HTTP 5xx, a body that is not
 * Zibal's JSON). The request may or may not have reached Zibal.
 */
export class ZibalUnavailableError extends Error {
  override name = 'ZibalUnavailableError';
}

export interface PaymentRequest {
  /** Whole Rials, at least {@link ZIBAL_MINIMUM_RIALS}. */
  amount: number;
  callbackUrl: string;
  description: string;
  /** Our invoice's order id; unique per invoice, so a lost answer can be recovered by asking for it. */
  orderId: string;
}

export interface CreatedPayment {
  trackId: string;
  paymentUrl: string;
  /** True when an earlier request for this orderId (whose answer was lost) was found instead of a new one. */
  recovered: boolean;
}

export interface PaymentState {
  trackId: string | undefined;
  /** Rials. */
  amount: number | undefined;
  orderId: string | undefined;
  refNumber: string | undefined;
  paidAt: string | undefined;
  status: number | undefined;
}

export interface VerifyOutcome extends PaymentState {
  /** True for result 201: this payment was verified before (a replayed callback); nothing new was credited. */
  alreadyVerified: boolean;
}

export interface ZibalClientOptions {
  merchant: string;
  /** @default https://gateway.zibal.ir */
  baseUrl?: string;
  /** Per HTTP call. @default 10000 */
  timeoutMs?: number;
  /** Extra attempts after a network error. @default 2 */
  retries?: number;
  /** Pause before a retry, times the attempt number. @default 500 */
  retryDelayMs?: number;
}

interface ZibalBody {
  result?: unknown;
  message?: unknown;
  [key: string]: unknown;
}

const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
const num = (v: unknown) =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined;

function paymentState(body: ZibalBody, trackId?: string): PaymentState {
  return {
    trackId: text(body.trackId) ?? trackId,
    amount: num(body.amount),
    orderId: text(body.orderId),
    refNumber: text(body.refNumber),
    paidAt: text(body.paidAt),
    status: num(body.status),
  };
}

export class ZibalClient {
  readonly baseUrl: string;
  private readonly merchant: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  /**
   * Keeps connections to Zibal open between calls (a billing run makes one per invoice). Idle sockets do not
   * keep the process alive.
   */
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(options: ZibalClientOptions) {
    if (!options.merchant) throw new Error('Zibal merchant is empty: set ZIBAL_MERCHANT (sandbox: zibal)');
    this.merchant = options.merchant;
    this.baseUrl = (options.baseUrl ?? ZIBAL_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    const secure = this.baseUrl.startsWith('https:');
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.request = secure ? https.request : http.request;
  }

  /** The page where the customer pays. */
  paymentUrl(trackId: string): string {
    return `${this.baseUrl}/start/${encodeURIComponent(trackId)}`;
  }

  /**
   * Creates a payment. Never sends /v1/request twice blindly: after a network error (the first request may have
   * created the payment) it asks Zibal for the orderId first and returns that payment when it exists.
   */
  async requestPayment(request: PaymentRequest): Promise<CreatedPayment> {
    if (!Number.isSafeInteger(request.amount) || request.amount < 0) {
      throw new Error(`Zibal amounts are whole Rials; got ${request.amount}`);
    }
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) {
        await this.pause(attempt);
        const earlier = await this.findByOrderId(request.orderId);
        if (earlier?.trackId)
          return { trackId: earlier.trackId, paymentUrl: this.paymentUrl(earlier.trackId), recovered: true };
      }
      try {
        const body = await this.call('/v1/request', { merchant: this.merchant, ...request });
        if (body.result !== 100) throw new ZibalError('request', Number(body.result), text(body.message));
        const trackId = text(body.trackId);
        if (!trackId) throw new ZibalUnavailableError('Zibal request answered result 100 without a trackId');
        return { trackId, paymentUrl: this.paymentUrl(trackId), recovered: false };
      } catch (error) {
        if (!(error instanceof ZibalUnavailableError)) throw error;
        lastError = error;
      }
    }
    throw lastError!;
  }

  /**
   * Asks Zibal about the payment created for `orderId`; undefined when Zibal knows none (result 203). Network
   * errors are retried: an inquiry changes nothing.
   */
  async findByOrderId(orderId: string): Promise<PaymentState | undefined> {
    const body = await this.withRetries(() => this.call('/v1/inquiry', { merchant: this.merchant, orderId }));
    if (body.result === 203) return undefined;
    if (body.result !== 100) throw new ZibalError('inquiry', Number(body.result), text(body.message));
    return paymentState(body);
  }

  async inquiry(trackId: string): Promise<PaymentState> {
    const body = await this.withRetries(() => this.call('/v1/inquiry', { merchant: this.merchant, trackId }));
    if (body.result !== 100) throw new ZibalError('inquiry', Number(body.result), text(body.message));
    return paymentState(body, trackId);
  }

  /**
   * Verifies (settles) a payment. Result 100: verified now. Result 201: verified before — the answer carries no
   * amount, so the state is read with an inquiry. Any other result throws {@link ZibalError} (202: not paid).
   * Retried on network errors: a second verify of the same payment answers 201, never a second charge.
   */
  async verify(trackId: string): Promise<VerifyOutcome> {
    const body = await this.withRetries(() => this.call('/v1/verify', { merchant: this.merchant, trackId }));
    if (body.result === 100) return { ...paymentState(body, trackId), alreadyVerified: false };
    if (body.result === 201) return { ...(await this.inquiry(trackId)), alreadyVerified: true };
    throw new ZibalError('verify', Number(body.result), text(body.message));
  }

  private async withRetries(fn: () => Promise<ZibalBody>): Promise<ZibalBody> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof ZibalUnavailableError) || attempt >= this.retries) throw error;
        await this.pause(attempt + 1);
      }
    }
  }

  private pause(attempt: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * attempt));
  }

  /**
   * One POST with node:http(s) rather than fetch: the same exchange costs several times less CPU, which shows
   * over the thousands of payment requests of a billing run.
   */
  private async call(path: string, body: Record<string, unknown>): Promise<ZibalBody> {
    const { status, raw } = await this.post(path, JSON.stringify(body));
    if (status >= 500) throw new ZibalUnavailableError(`Zibal ${path} answered HTTP ${status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ZibalUnavailableError(`Zibal ${path} answered HTTP ${status} with a body that is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as ZibalBody).result !== 'number') {
      throw new ZibalUnavailableError(`Zibal ${path} answered without a numeric result code`);
    }
    return parsed as ZibalBody;
  }

  /** The status and body of the answer, within `timeoutMs` for all of it; {@link ZibalUnavailableError} if none. */
  private post(path: string, payload: string): Promise<{ status: number; raw: string }> {
    const url = new URL(`${this.baseUrl}${path}`);
    return new Promise((resolve, reject) => {
      let answered = false;
      const fail = (error: Error) => {
        clearTimeout(timer);
        const reason =
          error.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describe(error);
        reject(
          new ZibalUnavailableError(
            answered ? `Zibal ${path} answer was cut off: ${reason}` : `Zibal ${path} unreachable: ${reason}`,
            { cause: error },
          ),
        );
      };
      const req = this.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('aborted', () => fail(new Error('the connection closed before the end of the answer')));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, raw: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      const timer = setTimeout(() => {
        const timeout = new Error(`no answer within ${this.timeoutMs} ms`);
        timeout.name = 'TimeoutError';
        req.destroy(timeout);
      }, this.timeoutMs);
      req.on('error', fail);
      req.end(payload);
    });
  }
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return e.code ?? e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}
