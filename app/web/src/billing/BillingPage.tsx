import { useQuery } from '@tanstack/react-query';
import type { PaymentOutcome } from '../../../../billing/payments.js';
import { useApi } from '../api/api-context.js';
import type { Invoice } from '../api/types.js';
import { formatNumber } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';
import { DualDate } from '../layout/DualDate.js';
import { useLocation } from '../router.js';
import { type ModelUsage, summarizeUsage, usageRangeStart } from './usage-summary.js';

/** Only real web addresses become Pay links (never `javascript:` or the like from a tampered record). */
function safePayUrl(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function BillingPage() {
  const api = useApi();
  const { t, lang } = useI18n();
  const { search } = useLocation();
  const payment = search.get('payment') as PaymentOutcome | null;
  const usage = useQuery({ queryKey: ['usage'], queryFn: () => api.usage(usageRangeStart()), retry: 1 });
  const invoices = useQuery({ queryKey: ['invoices'], queryFn: () => api.listInvoices(), retry: 1 });
  const summary = usage.data ? summarizeUsage(usage.data.usage, usage.data.to) : undefined;

  return (
    <main id="main" className="page">
      <h1>{t.billingTitle}</h1>
      {payment && t.paymentResult[payment] && (
        <p className={payment === 'paid' || payment === 'already-paid' ? 'success' : 'error'} role="status">
          {t.paymentResult[payment]}
        </p>
      )}
      <section aria-labelledby="usage-title">
        <h2 id="usage-title" className="visually-hidden">
          {t.byModel}
        </h2>
        {usage.isError && <p className="empty">{t.billingUnavailable}</p>}
        {summary && (
          <>
            <div className="stats">
              <div className="stat">
                <p className="stat-label">{t.usageToday}</p>
                <p className="stat-value" data-testid="tokens-today">
                  {formatNumber(summary.todayTotal, lang)}
                </p>
              </div>
              <div className="stat">
                <p className="stat-label">{t.usageMonth}</p>
                <p className="stat-value" data-testid="tokens-month">
                  {formatNumber(summary.monthTotal, lang)}
                </p>
              </div>
            </div>
            <UsageTable caption={t.usageToday} rows={summary.today} />
            <UsageTable caption={t.usageMonth} rows={summary.month} />
          </>
        )}
      </section>
      <section aria-labelledby="invoices-title">
        <h2 id="invoices-title">{t.invoices}</h2>
        {invoices.isError && <p className="empty">{t.billingUnavailable}</p>}
        {invoices.data?.invoices.length === 0 && <p className="empty">{t.noInvoices}</p>}
        {invoices.data && invoices.data.invoices.length > 0 && (
          <InvoiceTable invoices={invoices.data.invoices} />
        )}
      </section>
    </main>
  );
}

function UsageTable({ caption, rows }: { caption: string; rows: ModelUsage[] }) {
  const { t, lang } = useI18n();
  if (rows.length === 0)
    return (
      <p className="empty small">
        {caption}: {t.noUsage}
      </p>
    );
  return (
    <div className="table-wrap">
      <table>
        <caption>
          {caption} — {t.byModel}
        </caption>
        <thead>
          <tr>
            <th scope="col">{t.model}</th>
            <th scope="col">{t.inputTokens}</th>
            <th scope="col">{t.outputTokens}</th>
            <th scope="col">{t.requests}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.model}>
              <th scope="row" dir="ltr">
                {row.model}
              </th>
              <td data-label={t.inputTokens}>{formatNumber(row.inputTokens, lang)}</td>
              <td data-label={t.outputTokens}>{formatNumber(row.outputTokens, lang)}</td>
              <td data-label={t.requests}>{formatNumber(row.requests, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function InvoiceTable({ invoices }: { invoices: Invoice[] }) {
  const { t, lang } = useI18n();
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{t.invoices}</caption>
        <thead>
          <tr>
            <th scope="col">{t.colPeriod}</th>
            <th scope="col">{t.colTokens}</th>
            <th scope="col">{t.colAmount}</th>
            <th scope="col">{t.colStatus}</th>
            <th scope="col">
              <span className="visually-hidden">{t.pay}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((invoice) => {
            const payUrl = safePayUrl(invoice.payUrl);
            return (
              <tr key={invoice.id}>
                <th scope="row">
                  <DualDate day={invoice.periodStart} />
                  {invoice.periodEnd !== invoice.periodStart && (
                    <>
                      {' – '}
                      <DualDate day={invoice.periodEnd} />
                    </>
                  )}
                </th>
                <td data-label={t.colTokens}>{formatNumber(invoice.tokens, lang)}</td>
                <td data-label={t.colAmount}>
                  {t.tomans(
                    new Intl.NumberFormat(lang === 'fa' ? 'fa-IR' : 'en-GB', {
                      maximumFractionDigits: 2,
                    }).format(Number(invoice.amountTomans)),
                  )}
                </td>
                <td data-label={t.colStatus}>
                  <span className={`badge badge-invoice-${invoice.status}`}>
                    {t.invoiceStatus[invoice.status] ?? invoice.status}
                  </span>
                </td>
                <td>
                  {payUrl && (
                    <a
                      className="button primary"
                      href={payUrl}
                      rel="noopener noreferrer"
                      aria-label={t.payInvoice(invoice.periodStart)}
                    >
                      {t.pay}
                    </a>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
