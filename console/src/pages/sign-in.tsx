import { useId, useState } from 'preact/hooks';
import { ApiError, createApi } from '../api.ts';
import type { ShopInfo } from '../app-context.ts';
import { LanguageSelect } from '../components/language-select.tsx';
import type { Language, Messages } from '../i18n/index.ts';
import { loadShop } from '../shop.ts';

interface SignInProps {
  t: Messages;
  language: Language;
  setLanguage(language: Language): void;
  notice: string | null;
  onSignedIn(key: string, shop: ShopInfo): void;
}

/** The only way in: the shop's API key, checked against the API before anything is kept. */
export function SignIn({ t, language, setLanguage, notice, onSignedIn }: SignInProps) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const submit = async (event: Event) => {
    event.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError(t.signIn.empty);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const shop = await loadShop(createApi(candidate, () => undefined));
      onSignedIn(candidate, shop);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? t.signIn.refused
          : failure instanceof Error
            ? failure.message
            : String(failure),
      );
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <div class="signin-card">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            R
          </span>
          <span>
            <span class="brand-name">{t.app.name}</span>
            <span class="brand-shop">{t.app.tagline}</span>
          </span>
        </div>
        <h1>{t.signIn.title}</h1>
        <p class="muted">{t.signIn.intro}</p>
        {notice && (
          <p class="notice" role="alert">
            {notice}
          </p>
        )}
        <form onSubmit={submit} noValidate>
          <div class={error ? 'field field-invalid' : 'field'}>
            <label for={id}>{t.signIn.key}</label>
            <input
              id={id}
              name="apiKey"
              type="password"
              autocomplete="off"
              spellcheck={false}
              value={key}
              onInput={(event) => setKey(event.currentTarget.value)}
              aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
              aria-invalid={error ? true : undefined}
            />
            <p class="hint" id={`${id}-hint`}>
              {t.signIn.keyHint}
            </p>
            {error && (
              <p class="field-error" id={`${id}-error`} role="alert">
                {error}
              </p>
            )}
          </div>
          <button type="submit" disabled={busy}>
            {busy ? t.signIn.checking : t.signIn.submit}
          </button>
        </form>
        <LanguageSelect label={t.language.label} names={t.language} language={language} onChange={setLanguage} />
      </div>
    </main>
  );
}
