import { type FormEvent, useId, useState } from 'react';
import { MIN_PASSWORD_LENGTH } from '../../../server/schemas/auth.js';
import { useApi } from '../api/api-context.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';

type Mode = 'signin' | 'register';

/** Sign in, or create an account together with its team, then sign in with the same credentials. */
export function AuthPage({ notice }: { notice?: string }) {
  const api = useApi();
  const { t } = useI18n();
  const [mode, setMode] = useState<Mode>('signin');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [password, setPassword] = useState('');
  const id = useId();
  const ruleMet = password.length >= MIN_PASSWORD_LENGTH;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    if (mode === 'register' && password.length < MIN_PASSWORD_LENGTH) {
      // Said in words next to the field, not as the browser's tooltip after a refused submit.
      setError(new Error(t.passwordTooShort(MIN_PASSWORD_LENGTH, password.length)));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'register') {
        const tenantName = String(form.get('tenant_name') ?? '').trim();
        await api.register({
          email,
          password,
          full_name: String(form.get('full_name') ?? '').trim(),
          ...(tenantName ? { tenant_name: tenantName } : {}),
        });
      }
      await api.login({ email, password });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  const title = mode === 'signin' ? t.signInTitle : t.registerTitle;
  return (
    <main id="main" className="auth">
      <h1 className="brand">{t.appName}</h1>
      <form className="card auth-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>{title}</h2>
        {notice && <p className="notice">{notice}</p>}
        {mode === 'register' && (
          <>
            <label htmlFor={`${id}-name`}>{t.fullName}</label>
            <input id={`${id}-name`} name="full_name" autoComplete="name" required maxLength={200} />
            <label htmlFor={`${id}-team`}>{t.teamName}</label>
            <input
              id={`${id}-team`}
              name="tenant_name"
              autoComplete="organization"
              maxLength={200}
              aria-describedby={`${id}-team-hint`}
            />
            <p id={`${id}-team-hint`} className="hint">
              {t.teamNameHint}
            </p>
          </>
        )}
        <label htmlFor={`${id}-email`}>{t.email}</label>
        <input id={`${id}-email`} name="email" type="email" autoComplete="email" required dir="ltr" />
        <label htmlFor={`${id}-password`}>{t.password}</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          required
          dir="ltr"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
          aria-describedby={mode === 'register' ? `${id}-password-hint` : undefined}
        />
        {mode === 'register' && (
          <p
            id={`${id}-password-hint`}
            className={ruleMet ? 'hint rule rule-met' : 'hint rule'}
            data-testid="password-rule"
          >
            <span aria-hidden="true">{ruleMet ? '✓ ' : '• '}</span>
            {t.passwordRule(MIN_PASSWORD_LENGTH)}
          </p>
        )}
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t.working : mode === 'signin' ? t.signInButton : t.registerButton}
        </button>
        <p className="switch-mode">
          {mode === 'signin' ? t.noAccount : t.haveAccount}{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setMode(mode === 'signin' ? 'register' : 'signin');
              setError(undefined);
            }}
          >
            {mode === 'signin' ? t.toRegister : t.toSignIn}
          </button>
        </p>
      </form>
    </main>
  );
}
